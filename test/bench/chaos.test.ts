import { describe, expect, it } from 'vitest'
import { runBench } from './run-bench.js'

// A short run of the fault harness: real service and sandbox processes, SIGKILLs and every sandbox
// fault, reconciled at the end. The full run (`npm run chaos`) lasts about 70 s and stays out of npm test.
describe('chaos (short run)', () => {
  it('kills and faults lose, double and change nothing', async () => {
    const run = await runBench('chaos.mjs', [
      '--seconds',
      '12',
      '--kills',
      '2',
      '--rate',
      '80',
      '--max-seconds',
      '50',
    ])
    const r = run.result
    expect(r, run.stdout).toMatchObject({
      lost: 0,
      duplicates: 0,
      wrong_quantity: 0,
      unexpected: 0,
      settled: true,
      pass: true,
    })
    expect(r.kills).toBe(2)
    expect(r.expected_transactions as number).toBeGreaterThan(0)
    expect(r.delivered).toBe(r.expected_transactions)
    expect(r.acknowledged as number).toBeGreaterThan(0)
    expect(run.code).toBe(0)
  }, 70_000)
})
