import type { FastifyBaseLogger } from 'fastify'
import { TokenBucket } from 'limiter'
import { HttpError } from './http-error.js'

/**
 * Failed admin-token attempts an address may make: a burst of 10, then 10 a minute (one every 6 s).
 * An operator who mistypes is never slowed; a guesser is held to 14,400 guesses a day instead of the
 * ~2,150 a second the service answered before.
 */
export const FAILED_ATTEMPTS = { burst: 10, perMinute: 10 } as const

/** Addresses remembered at most; the fullest (least limited) are forgotten first when more come. */
const MAX_ADDRESSES = 10_000
/** Failures are logged as one warn line per this period, not one line per guess. */
const LOG_EVERY_MS = 60_000

/**
 * Limits failed admin-token attempts per client address (the console's sign-in and `Authorization:
 * Bearer` alike), with `limiter`'s token bucket. An address that used up its attempts gets 429 with
 * Retry-After for every attempt, right or wrong, until the bucket has refilled enough: a guesser
 * cannot tell a right guess meanwhile, and the right token works again after the wait.
 */
export class AuthThrottle {
  private readonly buckets = new Map<string, TokenBucket>()
  private readonly failures = new Map<string, number>()
  private refused = 0
  private timer: NodeJS.Timeout | null = null

  constructor(
    private readonly logger: FastifyBaseLogger,
    private readonly limits: { burst: number; perMinute: number } = FAILED_ATTEMPTS,
  ) {}

  /** Throws 429 when this address has no attempt left; call before the token is compared. */
  check(address: string): void {
    const bucket = this.buckets.get(address)
    if (bucket === undefined) return
    const waitMs = bucket.getWaitTime(1)
    if (waitMs <= 0) {
      // Refilled: nothing to remember any more.
      if (bucket.content >= bucket.bucketSize) this.buckets.delete(address)
      return
    }
    this.refused++
    this.scheduleLog()
    const seconds = Math.max(1, Math.ceil(waitMs / 1000))
    throw new HttpError(
      429,
      `too many failed admin-token attempts from this address: try again in ${seconds} s`,
      'TOO_MANY_ATTEMPTS',
      { 'retry-after': String(seconds) },
    )
  }

  /** Counts one failed attempt of this address. */
  failed(address: string): void {
    let bucket = this.buckets.get(address)
    if (bucket === undefined) {
      if (this.buckets.size >= MAX_ADDRESSES) this.forgetOne()
      bucket = new TokenBucket({
        bucketSize: this.limits.burst,
        tokensPerInterval: this.limits.perMinute,
        interval: 'minute',
      })
      bucket.content = this.limits.burst
      this.buckets.set(address, bucket)
    }
    bucket.tryRemoveTokens(1)
    this.failures.set(address, (this.failures.get(address) ?? 0) + 1)
    this.scheduleLog()
  }

  /** Stops the pending log line (writing it now). */
  close(): void {
    if (this.timer) clearTimeout(this.timer)
    this.flush()
  }

  private forgetOne(): void {
    let fullest: string | null = null
    let most = -1
    for (const [address, bucket] of this.buckets) {
      bucket.drip()
      if (bucket.content > most) {
        most = bucket.content
        fullest = address
      }
    }
    if (fullest !== null) this.buckets.delete(fullest)
  }

  private scheduleLog(): void {
    if (this.timer) return
    this.timer = setTimeout(() => this.flush(), LOG_EVERY_MS)
    this.timer.unref()
  }

  private flush(): void {
    this.timer = null
    if (this.failures.size === 0 && this.refused === 0) return
    const total = [...this.failures.values()].reduce((a, b) => a + b, 0)
    const top = [...this.failures.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10)
    this.logger.warn(
      { failed: total, refused: this.refused, addresses: this.failures.size, top: Object.fromEntries(top) },
      `${total} failed admin-token attempt(s) from ${this.failures.size} address(es), ${this.refused} refused with 429, in the last minute`,
    )
    this.failures.clear()
    this.refused = 0
  }
}
