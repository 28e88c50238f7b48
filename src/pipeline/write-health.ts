import type { Logger } from 'pino'
import { storageFailureCause } from './storage/failure-cause.js'
import type { ClaimedEvent, Completion, QueueStore } from './storage/storage.js'

export interface WriteHealthOptions {
  storage: QueueStore
  now: () => number
  /** While writes fail, how often a probe write checks whether they work again. */
  probeMs: number
  logger: Logger
  /** Called once writes work again and held claims are released (wake the scheduler). */
  onRecovered: () => void
}

/** Puts a claim back untouched, marked unknown so it is settled by lookup before any resend. */
export function releaseOf(claim: Pick<ClaimedEvent, 'id' | 'leaseId'>, now: number): Completion {
  return {
    id: claim.id,
    leaseId: claim.leaseId,
    attemptsMade: 0,
    log: [],
    result: { status: 'released', nextAttemptAt: now, unknown: true },
  }
}

/**
 * Whether storage takes writes, for readiness, and what to do when it does again. A failed write
 * (accepting events, recording an outcome) marks storage failing until a write succeeds; meanwhile
 * a probe write runs every `probeMs`, so recovery is seen without traffic. Claims whose outcome could
 * not be recorded are held here and released the moment writes work again, instead of holding their
 * customers' later events for the rest of their lease. The release is lease-checked, so with several
 * instances a claim another instance has since taken over is left alone.
 */
export class WriteHealth {
  private failingSince: number | null = null
  private cause = ''
  private readonly held = new Map<string, ClaimedEvent>()
  private timer: NodeJS.Timeout | null = null
  private recovering: Promise<boolean> | null = null
  private stopped = false

  constructor(private readonly o: WriteHealthOptions) {}

  /** Words for /readyz while writes fail; null when they work. */
  problem(): string | null {
    return this.failingSince === null
      ? null
      : `writes have failed since ${new Date(this.failingSince).toISOString()}: ${this.cause}`
  }

  failed(err: unknown): void {
    if (this.failingSince !== null || this.stopped) return
    this.failingSince = this.o.now()
    this.cause = storageFailureCause(err)
    this.o.logger.error({ err }, 'storage writes are failing; not ready until they work again')
    this.schedule()
  }

  succeeded(): void {
    if (this.failingSince !== null) void this.recover()
  }

  /** A claim delivered (or tried) whose outcome could not be recorded. */
  hold(claim: ClaimedEvent): void {
    this.held.set(claim.id, claim)
  }

  heldClaims(): ClaimedEvent[] {
    return [...this.held.values()]
  }

  /** True when writes work; while they were failing, a probe write decides. */
  async check(): Promise<boolean> {
    if (this.failingSince === null) return true
    return (await this.o.storage.probeWrite()) && (await this.recover())
  }

  stop(): void {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  private recover(): Promise<boolean> {
    this.recovering ??= this.releaseHeld().finally(() => {
      this.recovering = null
    })
    return this.recovering
  }

  private async releaseHeld(): Promise<boolean> {
    const claims = this.heldClaims()
    if (claims.length > 0) {
      const now = this.o.now()
      try {
        await this.o.storage.complete(
          claims.map((c) => releaseOf(c, now)),
          now,
        )
      } catch {
        return false
      }
      for (const c of claims) this.held.delete(c.id)
    }
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.failingSince = null
    this.o.logger.warn(
      { released: claims.length },
      'storage writes work again; deliveries whose outcome could not be recorded are settled by lookup now',
    )
    this.o.onRecovered()
    return true
  }

  private schedule(): void {
    if (this.stopped) return
    this.timer = setTimeout(async () => {
      this.timer = null
      if (this.failingSince === null || this.stopped) return
      const ok = await this.o.storage.probeWrite().catch(() => false)
      if (!(ok && (await this.recover())) && this.failingSince !== null) this.schedule()
    }, this.o.probeMs)
    this.timer.unref()
  }
}
