import type { FastifyBaseLogger } from 'fastify'
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

/** An address's attempts left (fractional while refilling), as of `at` on the throttle's clock. */
interface Bucket {
  attempts: number
  at: number
}

/**
 * Limits failed admin-token attempts per client address (the console's sign-in and `Authorization:
 * Bearer` alike), with a token bucket per address. An address that used up its attempts gets 429 with
 * Retry-After for every attempt, right or wrong, until the bucket has refilled enough: a guesser
 * cannot tell a right guess meanwhile, and the right token works again after the wait.
 */
export class AuthThrottle {
  private readonly buckets = new Map<string, Bucket>()
  private readonly failures = new Map<string, number>()
  private refused = 0
  private timer: NodeJS.Timeout | null = null

  /**
   * @param now milliseconds on a monotonic clock; a test passes a clock it moves by hand
   *   (test/fixtures/manual-clock.ts), so it shows the wait without waiting.
   */
  constructor(
    private readonly logger: FastifyBaseLogger,
    private readonly limits: { burst: number; perMinute: number } = FAILED_ATTEMPTS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Throws 429 when this address has no attempt left; call before the token is compared. */
  check(address: string): void {
    const bucket = this.buckets.get(address)
    if (bucket === undefined) return
    this.refill(bucket)
    if (bucket.attempts >= 1) {
      // Refilled: nothing to remember any more.
      if (bucket.attempts >= this.limits.burst) this.buckets.delete(address)
      return
    }
    const waitMs = Math.ceil(((1 - bucket.attempts) * 60_000) / this.limits.perMinute)
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
      bucket = { attempts: this.limits.burst, at: this.now() }
      this.buckets.set(address, bucket)
    }
    this.refill(bucket)
    if (bucket.attempts >= 1) bucket.attempts -= 1
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
      this.refill(bucket)
      if (bucket.attempts > most) {
        most = bucket.attempts
        fullest = address
      }
    }
    if (fullest !== null) this.buckets.delete(fullest)
  }

  /** Adds the attempts earned since the bucket was last looked at, up to the burst. */
  private refill(bucket: Bucket): void {
    const now = this.now()
    const earned = (Math.max(0, now - bucket.at) * this.limits.perMinute) / 60_000
    bucket.attempts = Math.min(this.limits.burst, bucket.attempts + earned)
    bucket.at = now
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
