import { afterEach, expect, test } from 'vitest'
import { DUPLICATE_ANSWERS } from '../../src/sandbox/index.js'
import {
  type ExternalSandboxFixture,
  externalSandboxFixture,
  startServe,
  stopServe,
  waitForAllDelivered,
} from './helpers.js'
import { sendLoad } from './load.js'

const WRITE_KEY = 'durability-write-key'
let fx: ExternalSandboxFixture | undefined

afterEach(async () => {
  await fx?.close()
  fx = undefined
})

// Under each answer Perkville may give to a duplicate trans_source_id (it documents none).
test.each(DUPLICATE_ANSWERS)(
  'SIGKILL right after acknowledgements loses nothing and doubles nothing after a restart (duplicates answered %s)',
  async (duplicateAnswer) => {
    // Deliveries take a while, so some are in flight when the process is killed.
    fx = await externalSandboxFixture({ writeKey: WRITE_KEY, latencyMs: 15, latencyJitterMs: 30 })
    fx.sandbox.setBehaviour({ duplicateAnswer })
    const { sandbox } = fx
    const first = await startServe({ dataDir: fx.dataDir, args: fx.args })
    fx.running.push(first)
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

    const second = await startServe({ dataDir: fx.dataDir, args: fx.args })
    fx.running.push(second)
    await waitForAllDelivered(fx, second.url, load.acknowledged, (tx) => tx.trans_source_id)

    const externalIds = sandbox.transactions().map((tx) => tx.trans_source_id)
    // Exactly once: no external id twice, and nothing that was never sent.
    expect(externalIds.length).toBe(new Set(externalIds).size)
    for (const id of externalIds) expect(load.sent.has(id)).toBe(true)
    for (const id of load.acknowledged) expect(externalIds).toContain(id)

    const exit = await stopServe(second, 'SIGTERM')
    expect(exit.code).toBe(0)
  },
  60_000,
)
