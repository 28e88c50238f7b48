/** The counters of one import run: what progress shows and the final summary reports. */
export class Tally {
  /** Events expected in all (from counting the inputs' lines first); null for standard input. */
  total: number | null = null
  /** Records read so far (events, bad lines and rows). */
  read = 0
  /** Events handed to the service in a request (including ones still in flight). */
  sent = 0
  /** Events the service answered 200 for (accepted, skipped or refused by its rules). */
  answered = 0
  /** Of the accepted: queued for delivery, already known (duplicates), dropped by its rules. */
  queued = 0
  duplicates = 0
  dropped = 0
  /** Of the dropped: refused by the service's rules (an error), and skipped by them (not an error). */
  rejected = 0
  ruleSkips = 0
  /** Events never accepted: bad input, or a 400 from the service for that event alone. */
  refused = 0
  /** Events an earlier run had already delivered to the service (from the checkpoint). */
  alreadyImported = 0
  /** Events a dry run decided. */
  decided = 0
  /** Requests sent again after a 429, a 5xx or a transport error. */
  retries = 0
  /** Whether the service reported queued/duplicates/dropped (older services answer only success). */
  detailed = false
  readonly startedAt = Date.now()

  /** Events the service took: queued, or already there. Never those its rules skipped or refused. */
  get accepted(): number {
    return this.answered - this.rejected - this.ruleSkips
  }

  /** Records that need no more work. */
  get settled(): number {
    return this.answered + this.refused + this.alreadyImported + this.decided
  }

  /** Events that will not award: refused before or by the service. What makes exit status 1. */
  get problems(): number {
    return this.refused + this.rejected
  }

  /** Records settled per second since the start. */
  rate(now = Date.now()): number {
    const seconds = (now - this.startedAt) / 1000
    return seconds > 0 ? this.settled / seconds : 0
  }

  /** Seconds left at the current rate; null when unknown. */
  secondsLeft(now = Date.now()): number | null {
    const rate = this.rate(now)
    if (this.total === null || rate <= 0) return null
    return Math.max(0, (this.total - this.settled) / rate)
  }

  /** One line for logs and non-terminal progress. */
  line(now = Date.now()): string {
    const of = this.total === null ? '' : `/${fmt(this.total)}`
    const left = this.secondsLeft(now)
    return [
      `${fmt(this.settled)}${of} done`,
      `sent ${fmt(this.sent)}`,
      `accepted ${fmt(this.accepted)}`,
      `refused ${fmt(this.problems)}`,
      ...(this.ruleSkips > 0 ? [`skipped by the rules ${fmt(this.ruleSkips)}`] : []),
      ...(this.alreadyImported > 0 ? [`already imported ${fmt(this.alreadyImported)}`] : []),
      ...(this.retries > 0 ? [`retries ${fmt(this.retries)}`] : []),
      `${fmt(Math.round(this.rate(now)))} events/s`,
      ...(left === null ? [] : [`${formatSeconds(left)} left`]),
    ].join(', ')
  }

  toJSON() {
    const elapsedMs = Date.now() - this.startedAt
    return {
      read: this.read,
      sent: this.sent,
      accepted: this.accepted,
      ...(this.detailed
        ? {
            queued: this.queued,
            duplicates: this.duplicates,
            dropped: this.dropped,
            rejectedByRules: this.rejected,
            skippedByRules: this.ruleSkips,
          }
        : {}),
      refused: this.problems,
      alreadyImported: this.alreadyImported,
      retries: this.retries,
      elapsedMs,
      eventsPerSecond: Math.round(this.rate()),
    }
  }
}

export const fmt = (n: number) => n.toLocaleString('en-US')

export function formatSeconds(seconds: number): string {
  const s = Math.round(seconds)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}
