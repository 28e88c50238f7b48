import { afterAll, beforeAll, expect, test } from 'vitest'
import {
  type ExternalSandboxFixture,
  eventually,
  externalSandboxFixture,
  startServe,
  stopServe,
} from './helpers.js'
import { sendLoad } from './load.js'

const WRITE_KEY = 'shutdown-write-key'
let fx: ExternalSandboxFixture

beforeAll(async () => {
  // Slow enough that a backlog and in-flight deliveries exist when SIGTERM arrives.
  fx = await externalSandboxFixture({ writeKey: WRITE_KEY, latencyMs: 20, latencyJitterMs: 40 })
})
afterAll(async () => {
  await fx?.close()
})

test('SIGTERM under load: exit 0 in time, nothing acknowledged is lost on the next start', async () => {
  const first = await startServe({ dataDir: fx.dataDir, args: fx.args, env: { PERKVILLE_LOG_LEVEL: 'info' } })
  fx.running.push(first)
  let signalled = false
  const load = await sendLoad({
    url: () => first.url,
    writeKey: WRITE_KEY,
    senders: 12,
    maxRequests: 3000,
    onAck: (acked) => {
      if (acked >= 300 && !signalled) {
        signalled = true
        first.child.kill('SIGTERM')
      }
      // Keep sending through the shutdown: late requests must get a 503 or a refused connection, never a lie.
      return false
    },
  })
  const exit = await first.exited
  // The service's own hard-exit timer would make it exit 1 after 10 s; 0 means it finished in time.
  expect(exit).toEqual({ code: 0, signal: null })
  expect(first.stdout()).toContain('shutting down: no longer accepting requests')
  expect(first.stdout()).toMatch(/"msg":"stopped"/)
  expect(load.acknowledged.size).toBeGreaterThanOrEqual(300)

  const second = await startServe({ dataDir: fx.dataDir, args: fx.args })
  fx.running.push(second)
  await eventually(
    () => {
      const ids = new Set(fx.sandbox.transactions().map((tx) => tx.trans_source_id))
      return [...load.acknowledged].every((id) => ids.has(id)) ? true : undefined
    },
    30_000,
    'every acknowledged event in the sandbox',
  )
  const externalIds = fx.sandbox.transactions().map((tx) => tx.trans_source_id)
  expect(externalIds.length).toBe(new Set(externalIds).size)
  expect((await stopServe(second)).code).toBe(0)
}, 60_000)
