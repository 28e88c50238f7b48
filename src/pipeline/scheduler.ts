import type { Logger } from 'pino'
import type { Timers } from './clock.js'
import type { ClaimedEvent, ClaimResult, QueueStore } from './storage/storage.js'

export interface SchedulerOptions {
  storage: QueueStore
  concurrency: number
  leaseMs: number
  /** Fallback poll for due retries and expired leases; enqueue wakes the pool at once. */
  pollMs: number
  now: () => number
  /** The retry and poll timers run on these. */
  timers: Timers
  logger: Logger
  /** How many may be in flight now (0 during a credentials pause), at most `concurrency`. */
  capacity: () => number
  /** Runs one leased event to its completion; must not throw. */
  run: (claim: ClaimedEvent) => Promise<void>
}

/**
 * The worker pool. Storage hands out at most one event per customer (the head of its lane), so
 * customers proceed in parallel while each customer's events go strictly in order; the pool bounds
 * how many are in flight. Claims happen on demand: on enqueue, on a finished delivery, and on a
 * timer aimed at the next due retry.
 */
export class Scheduler {
  private inFlight = new Map<string, Promise<void>>()
  private claims = new Map<string, ClaimedEvent>()
  private running = false
  private pumping = false
  private again = false
  private pumped: Promise<void> = Promise.resolve()
  private cancelTimer: (() => void) | null = null
  private timerAt = Number.POSITIVE_INFINITY

  constructor(private readonly opts: SchedulerOptions) {}

  get active(): number {
    return this.inFlight.size
  }

  /** How many claims a wake would start now: free slots while running, else none. */
  get spare(): number {
    if (!this.running) return 0
    return Math.max(0, Math.min(this.opts.capacity(), this.opts.concurrency) - this.inFlight.size)
  }

  start(): void {
    this.running = true
    this.wake()
  }

  /** Stops claiming; in-flight deliveries go on. */
  halt(): void {
    this.running = false
    this.clearTimer()
  }

  /** Resolves when every in-flight delivery has finished, or after `ms`, whichever comes first. */
  async settle(ms: number): Promise<boolean> {
    const all = Promise.allSettled([...this.inFlight.values()]).then(() => true)
    let t: NodeJS.Timeout | undefined
    const timeout = new Promise<boolean>((r) => {
      t = setTimeout(() => r(false), ms)
    })
    const done = await Promise.race([all, timeout])
    clearTimeout(t)
    return done
  }

  /** The leases still out (for release at shutdown). */
  inFlightClaims(): ClaimedEvent[] {
    return [...this.claims.values()]
  }

  /** Claims what there is room for; resolves once this round of claiming is over (not the deliveries). */
  wake(): Promise<void> {
    if (!this.running) return Promise.resolve()
    if (this.pumping) {
      this.again = true
      return this.pumped
    }
    this.pumping = true
    this.pumped = this.pump().finally(() => {
      this.pumping = false
      if (this.again) {
        this.again = false
        return this.wake()
      }
    })
    return this.pumped
  }

  private async pump(): Promise<void> {
    const o = this.opts
    while (this.running) {
      const free = this.spare
      if (free <= 0) return
      let claimed: ClaimResult
      try {
        claimed = await o.storage.claim(free, o.now(), o.leaseMs)
      } catch (err) {
        o.logger.error({ err }, 'claiming work failed; retrying on the next poll')
        this.aim(o.now() + o.pollMs)
        return
      }
      const { claims, nextDue } = claimed
      for (const claim of claims) {
        const task = o
          .run(claim)
          .catch((err: unknown) => {
            // The lease stays: the event comes back (as unknown) when it expires or at next start.
            o.logger.error({ err, eventId: claim.id }, 'a delivery task failed unexpectedly')
          })
          .finally(() => {
            this.inFlight.delete(claim.id)
            this.claims.delete(claim.id)
            this.wake()
          })
        this.inFlight.set(claim.id, task)
        this.claims.set(claim.id, claim)
      }
      if (claims.length < free) {
        this.aimAtNextDue(nextDue)
        return
      }
    }
  }

  private aimAtNextDue(due: number | null): void {
    const o = this.opts
    const now = o.now()
    this.aim(due === null ? now + o.pollMs : Math.min(Math.max(due, now + 1), now + o.pollMs))
  }

  private aim(at: number): void {
    if (!this.running) return
    // An earlier timer already covers it.
    if (this.cancelTimer && this.timerAt <= at) return
    this.clearTimer()
    this.timerAt = at
    this.cancelTimer = this.opts.timers.after(Math.max(0, at - this.opts.now()), () => {
      this.cancelTimer = null
      this.timerAt = Number.POSITIVE_INFINITY
      return this.wake()
    })
  }

  private clearTimer(): void {
    this.cancelTimer?.()
    this.cancelTimer = null
    this.timerAt = Number.POSITIVE_INFINITY
  }
}
