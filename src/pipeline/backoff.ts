export interface BackoffOptions {
  /** First retry waits up to this long. */
  baseMs: number
  /** No single wait is drawn above this. */
  maxMs: number
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1_000, maxMs: 10 * 60_000 }

/**
 * Full-jitter exponential backoff: a uniform draw in [0, min(max, base·2^(n-1))], so a burst of
 * failures does not come back as a synchronized burst. A Retry-After is a floor: Perkville said not
 * before then.
 */
export function retryDelayMs(
  attempt: number,
  opts: BackoffOptions,
  retryAfterMs: number | null,
  random: () => number = Math.random,
): number {
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30))
  const drawn = Math.floor(random() * exp)
  return Math.max(drawn, retryAfterMs ?? 0)
}
