import type { Logger } from 'pino'
import type { Timers } from './clock.js'
import type { QueueStore } from './storage/storage.js'

/** Order ledgers outlive events: a refund may come long after the order's events were pruned. */
export const LEDGER_MIN_KEEP_MS = 400 * 24 * 3_600_000

export interface RetentionOptions {
  storage: QueueStore
  now: () => number
  timers: Timers
  retentionMs: number
  dedupWindowMs: number
  intervalMs: number
  logger: Logger
}

/**
 * Prunes delivered/failed events past retention, at start and periodically. Stored events are also
 * the dedup record, so they are kept for the longer of retention and the dedup window.
 */
export class Retention {
  private cancelTimer: (() => void) | null = null
  private running: Promise<unknown> = Promise.resolve()

  constructor(private readonly opts: RetentionOptions) {}

  start(): void {
    void this.runOnce()
    this.cancelTimer = this.opts.timers.every(this.opts.intervalMs, () => this.runOnce())
  }

  async runOnce(): Promise<{ events: number }> {
    const o = this.opts
    const run = this.running.then(async () => {
      const now = o.now()
      try {
        const result = await o.storage.prune(
          now - Math.max(o.retentionMs, o.dedupWindowMs),
          now - Math.max(o.retentionMs, LEDGER_MIN_KEEP_MS),
        )
        if (result.events > 0) o.logger.info(result, 'pruned old events')
        return result
      } catch (err) {
        o.logger.error({ err }, 'pruning failed')
        return { events: 0 }
      }
    })
    this.running = run
    return run
  }

  async stop(): Promise<void> {
    this.cancelTimer?.()
    this.cancelTimer = null
    await this.running
  }
}
