import { describe, expect, it } from 'vitest'
import { runBench } from './run-bench.js'

describe('bench:core', () => {
  it('prints a table and, as its last line, JSON with the three figures as positive numbers', async () => {
    const run = await runBench('core.mjs', ['--events', '2000', '--seconds', '1', '--rounds', '1'])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('bench:core')
    expect(run.stdout).toContain('Fairness:')
    for (const key of ['decide_per_s', 'actions_core_per_s', 'json_parse_per_s']) {
      const value = run.result[key]
      expect(typeof value, key).toBe('number')
      expect(value as number, key).toBeGreaterThan(0)
    }
    expect(run.stderr).toContain('round 1/1')
  }, 60_000)

  it('refuses an unknown option with the list of known ones', async () => {
    await expect(runBench('core.mjs', ['--nope', '1'])).rejects.toThrow(/known options: --events/)
  }, 30_000)
})
