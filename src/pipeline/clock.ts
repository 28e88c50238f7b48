/**
 * The time the pipeline's timers run on: the wall clock in production, a clock a test moves by hand
 * (test/fixtures/manual-clock.ts), so a test shows that nothing happens over an hour without waiting one.
 */
export interface Timers {
  /** Calls `fire` once after `ms`; the returned function cancels it. Never keeps the process alive. */
  after(ms: number, fire: () => unknown): () => void
  /** Calls `fire` every `ms` until cancelled. Never keeps the process alive. */
  every(ms: number, fire: () => unknown): () => void
}

export const systemTimers: Timers = {
  after(ms, fire) {
    const t = setTimeout(fire, ms)
    t.unref()
    return () => clearTimeout(t)
  },
  every(ms, fire) {
    const t = setInterval(fire, ms)
    t.unref()
    return () => clearInterval(t)
  },
}
