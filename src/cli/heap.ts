import { setFlagsFromString } from 'node:v8'

/**
 * How far V8 lets the old generation grow past what the last full collection kept, in percent.
 * V8 picks this factor itself (up to 300 % on a machine with much memory): under ingest load the
 * service keeps ~26 MB alive but its old space grew to ~75 MB of mostly dead request objects before
 * the next full collection, so its RSS peaked at 214–224 MB in bench:ingest (issue 15: ≤ 200). 30 %
 * held it at 153 MB, with no CPU cost above the noise (docs/benchmarks-archive.md, "service RSS under ingest
 * load"). 1.3 is also the factor V8 uses itself when it tries to save memory.
 */
export const HEAP_GROWING_PERCENT = 30

const FLAG = /--heap[-_]growing[-_]percent\b/

/**
 * Applies the service's heap setting to this process, unless the operator started node with that V8
 * flag (`node --heap-growing-percent=N …`; NODE_OPTIONS cannot carry it): theirs wins. V8 reads the
 * flag at every heap-limit computation, so setting it after start takes effect (unlike the
 * semi-space size, fixed when the heap is made). Returns whether it was applied.
 */
export function applyHeapSettings(execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((arg) => FLAG.test(arg))) return false
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`)
  return true
}
