import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type RunningSandbox, startSandbox } from '../../src/sandbox/index.js'
import { eventually, removeDir, type ServeProcess, startServe, stopServe, tempDir } from './helpers.js'
import { sendLoad } from './load.js'

/*
 * The sandbox runs in the test process, not inside the server: it plays Perkville, which does not
 * die when our service is killed, and its transactions are what "reached Perkville exactly once" means.
 */
const WRITE_KEY = 'durability-write-key'
let sandbox: RunningSandbox
let dataDir: string
let args: string[]
const running: ServeProcess[] = []

beforeAll(async () => {
  sandbox = await startSandbox({ memory: true })
  // Deliveries take a while, so some are in flight when the process is killed.
  sandbox.setFaults({ latencyMs: 15, latencyJitterMs: 30, scope: 'writes' })
  dataDir = tempDir('perkville-durability-')
  const settings = join(dataDir, 'settings.json')
  writeFileSync(
    settings,
    JSON.stringify({
      apiKey: sandbox.token,
      businessId: 1001,
      locationId: 2001,
      eventToPerkMap: { 'Checked In': 3001 },
    }),
  )
  args = [
    '--perkville-url',
    sandbox.url,
    '--settings',
    settings,
    '--write-key',
    WRITE_KEY,
    '--concurrency',
    '8',
  ]
})
afterAll(async () => {
  for (const proc of running) await stopServe(proc, 'SIGKILL')
  await sandbox?.close()
  removeDir(dataDir)
})

test('SIGKILL right after acknowledgements loses nothing and doubles nothing after a restart', async () => {
  const first = await startServe({ dataDir, args })
  running.push(first)
  const load = await sendLoad({
    url: () => first.url,
    writeKey: WRITE_KEY,
    senders: 16,
    maxRequests: 10_000,
    onAck: (acked) => {
      if (acked < 400) return false
      // Killed in the same tick the last 200 was read: nothing gets a chance to flush afterwards.
      first.child.kill('SIGKILL')
      return true
    },
  })
  expect((await first.exited).signal).toBe('SIGKILL')
  expect(load.acknowledged.size).toBeGreaterThanOrEqual(400)
  const deliveredBeforeRestart = sandbox.transactions().length
  expect(deliveredBeforeRestart).toBeLessThan(load.acknowledged.size)

  const second = await startServe({ dataDir, args })
  running.push(second)
  await eventually(
    () => {
      const ids = new Set(sandbox.transactions().map((tx) => tx.external_id))
      return [...load.acknowledged].every((id) => ids.has(id)) ? true : undefined
    },
    30_000,
    'every acknowledged event in the sandbox',
  )
  await eventually(
    async () => {
      const ready = (await (await fetch(`${second.url}/readyz`)).json()) as { queueDepth: number }
      return ready.queueDepth === 0 ? true : undefined
    },
    20_000,
    'an empty queue',
  )

  const externalIds = sandbox.transactions().map((tx) => tx.external_id)
  // Exactly once: no external id twice, and nothing that was never sent.
  expect(externalIds.length).toBe(new Set(externalIds).size)
  for (const id of externalIds) expect(load.sent.has(id)).toBe(true)
  for (const id of load.acknowledged) expect(externalIds).toContain(id)

  const exit = await stopServe(second, 'SIGTERM')
  expect(exit.code).toBe(0)
}, 60_000)
