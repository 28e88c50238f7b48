import { describe, expect, it } from 'vitest'
import { runBench } from './run-bench.js'

// The harness must be able to fail: with the service's order rules switched off, orders sent twice are
// awarded twice and refunds are not capped, and the reconciliation has to say so.
describe('chaos reconciliation', () => {
  it('reports doubled awards and wrong refund quantities when the order rules are off', async () => {
    const run = await runBench('chaos.mjs', [
      '--seconds',
      '10',
      '--kills',
      '1',
      '--rate',
      '80',
      '--max-seconds',
      '45',
      '--service-args=--no-one-award-per-order --no-cap-refunds',
    ])
    const r = run.result
    expect(r.pass, run.stdout).toBe(false)
    expect(r.duplicates as number).toBeGreaterThan(0)
    expect(r.wrong_quantity as number).toBeGreaterThan(0)
    expect(r.lost).toBe(0)
    expect(run.code).toBe(1)
  }, 60_000)
})
