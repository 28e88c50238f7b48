import { setTimeout as sleep } from 'node:timers/promises'
import RudderAnalytics from '@rudderstack/rudder-sdk-node'
import { Analytics as SegmentAnalytics } from '@segment/analytics-node'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import {
  type ExternalSandboxFixture,
  eventually,
  externalSandboxFixture,
  type ServeProcess,
  startServe,
  waitForAllDelivered,
} from './helpers.js'

/**
 * The server libraries, unchanged, against the service as a real process that is SIGKILLed and
 * restarted on the same port while they send: every event the library reported as accepted is
 * awarded exactly once, and nothing is awarded that was not sent.
 */
const WRITE_KEY = 'node-sdk-write-key'
const EVENTS = 150
const KILL_AFTER_ACKS = 40

/** What a test needs from a library: send one track, learn whether it was accepted, drain. */
interface Client {
  track(email: string, done: (accepted: boolean) => void): void
  drain(): Promise<void>
}

let fx: ExternalSandboxFixture
beforeEach(async () => {
  fx = await externalSandboxFixture({ writeKey: WRITE_KEY, latencyMs: 5, latencyJitterMs: 20 })
})
afterEach(async () => {
  await fx?.close()
})

async function killAndRestartMidStream(makeClient: (url: string) => Client, sdk: string) {
  const first = await startServe({ dataDir: fx.dataDir, args: fx.args })
  fx.running.push(first)
  const client = makeClient(first.url)
  const sent = new Set<string>()
  const accepted = new Set<string>()
  let answered = 0
  let restarted: Promise<ServeProcess> | null = null
  let acceptedAfterRestart = 0
  for (let i = 0; i < EVENTS; i++) {
    const email = `${sdk}-${process.pid}-${i}@example.com`
    sent.add(email)
    client.track(email, (ok) => {
      answered++
      if (!ok) return
      accepted.add(email)
      if (restarted !== null) acceptedAfterRestart++
      if (accepted.size >= KILL_AFTER_ACKS && restarted === null) {
        // Killed the moment the 40th acknowledgement is read, with batches still in flight.
        first.child.kill('SIGKILL')
        restarted = first.exited.then(async () => {
          await sleep(300)
          const second = await startServe({
            dataDir: fx.dataDir,
            args: [...fx.args, '--port', String(first.port)],
          })
          fx.running.push(second)
          return second
        })
      }
    })
    await sleep(8)
  }
  await eventually(() => (restarted === null ? undefined : true), 20_000, 'the kill')
  const second = await (restarted as unknown as Promise<ServeProcess>)
  await client.drain()
  await eventually(() => (answered === EVENTS ? true : undefined), 60_000, 'an answer for every event')

  expect((await first.exited).signal).toBe('SIGKILL')
  expect(accepted.size).toBeGreaterThan(KILL_AFTER_ACKS)
  expect(acceptedAfterRestart, 'the library went on sending to the restarted service').toBeGreaterThan(0)
  await waitForAllDelivered(fx, second.url, accepted, (tx) => tx.email)
  const emails = fx.sandbox.transactions().map((tx) => tx.email)
  expect(emails.length, 'no event awarded twice').toBe(new Set(emails).size)
  for (const email of emails) expect(sent.has(email), email).toBe(true)
}

describe('server libraries through a SIGKILL and restart of the service', () => {
  test('@segment/analytics-node', async () => {
    await killAndRestartMidStream((url) => {
      const analytics = new SegmentAnalytics({
        writeKey: WRITE_KEY,
        host: url,
        flushAt: 5,
        flushInterval: 50,
        maxRetries: 8,
      })
      return {
        track(email, done) {
          analytics.track({ userId: email, event: 'Checked In', properties: { email } }, (err, ctx) =>
            done(err === undefined && ctx?.failedDelivery() === undefined),
          )
        },
        drain: () => analytics.closeAndFlush({ timeout: 60_000 }),
      }
    }, 'segment-node')
  }, 120_000)

  test('@rudderstack/rudder-sdk-node (gzip batches to /v1/batch)', async () => {
    await killAndRestartMidStream((url) => {
      const analytics = new RudderAnalytics(WRITE_KEY, {
        dataPlaneUrl: url,
        flushAt: 5,
        flushInterval: 50,
        retryCount: 8,
        logLevel: 'error',
        // Without a handler the library throws from its timer when a batch finally fails.
        errorHandler: () => {},
      })
      return {
        track(email, done) {
          analytics.track({ userId: email, event: 'Checked In', properties: { email } }, (err?: unknown) =>
            done(err === undefined || err === null),
          )
        },
        drain: async () => {
          await analytics.flush()
        },
      }
    }, 'rudder-node')
  }, 120_000)
})
