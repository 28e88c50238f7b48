import type { Logger } from 'pino'

/** What waits, as one look at the queue and the credentials gate sees it. */
export interface TroubleState {
  retrying: number
  parked: number
  /** Set while delivery is paused (Perkville rejected the credentials): why. */
  paused: string | null
  /** The newest error among the waiting events. */
  lastError: string | null
}

/**
 * Operators hear about trouble without a flood: while deliveries wait (retrying, parked or paused)
 * a warn line at most once per `everyMs` says how many and why; one info line when they flow again.
 */
export class TroubleLog {
  private lastWarnAt: number | null = null

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number,
    private readonly everyMs = 60_000,
  ) {}

  report(s: TroubleState): void {
    const waiting = s.retrying + s.parked
    if (waiting === 0 && s.paused === null) {
      if (this.lastWarnAt !== null) {
        this.lastWarnAt = null
        this.logger.info('deliveries flow again: nothing is retrying, parked or paused')
      }
      return
    }
    const at = this.now()
    if (this.lastWarnAt !== null && at - this.lastWarnAt < this.everyMs) return
    this.lastWarnAt = at
    const why = s.paused ?? s.lastError ?? 'no error recorded yet'
    this.logger.warn(
      { retrying: s.retrying, parked: s.parked, paused: s.paused !== null, why },
      `${waiting} event(s) wait for delivery (${s.retrying} retrying, ${s.parked} parked${s.paused !== null ? ', delivery paused' : ''}): ${why}`,
    )
  }
}
