import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { applyHeapSettings, HEAP_GROWING_PERCENT } from '../../src/cli/heap.js'

const heapModule = fileURLToPath(new URL('../../dist/cli/heap.js', import.meta.url))

/**
 * A child node process that (maybe) applies the service's heap setting, then fills its old space
 * until full collections happen; V8's --trace-gc-verbose prints the growing factor each one sets.
 */
function growingFactors(apply: boolean, nodeArgs: string[] = []): string[] {
  const script = `
    const { applyHeapSettings } = await import(${JSON.stringify(heapModule)})
    if (${apply}) console.log('applied', applyHeapSettings())
    const keep = []
    for (let i = 0; i < 600_000; i++) {
      keep.push({ text: 'x'.repeat(40) + i, n: [i, i + 1] })
      if (keep.length > 150_000) keep.splice(0, 10_000)
    }
  `
  const run = spawnSync(
    process.execPath,
    [...nodeArgs, '--trace-gc-verbose', '--input-type=module', '-e', script],
    {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  )
  expect(run.status, run.stderr).toBe(0)
  // Node 20 (V8 11): "[HeapController] Limit: old size: 48435 KB, new limit: 79074 KB (1.3)", after a
  // "factor" line that ignores the flag. Node 24 (V8 13): the "factor 1.3 based on …" line applies it
  // and the Limit line no longer says it.
  const limits = [...run.stdout.matchAll(/\[HeapController\] Limit: .* \(([0-9.]+)\)$/gm)]
  const factors = [...run.stdout.matchAll(/\[HeapController\] factor ([0-9.]+) based on/gm)]
  return (limits.length > 0 ? limits : factors).map((m) => m[1]!)
}

describe('the heap setting serve applies to itself', () => {
  it('makes V8 grow the old generation by HEAP_GROWING_PERCENT after each full collection', () => {
    const factor = (1 + HEAP_GROWING_PERCENT / 100).toFixed(1)
    const own = growingFactors(true)
    expect(own.length).toBeGreaterThan(0)
    expect(new Set(own)).toEqual(new Set([factor]))
    // V8's own choice on this machine differs, or the setting would buy nothing.
    expect(growingFactors(false)).not.toContain(factor)
  })

  it("leaves an operator's own --heap-growing-percent alone", () => {
    expect(new Set(growingFactors(true, ['--heap-growing-percent=70']))).toEqual(new Set(['1.7']))
    expect(applyHeapSettings(['--max-old-space-size=512', '--heap_growing_percent=70'])).toBe(false)
  })
})
