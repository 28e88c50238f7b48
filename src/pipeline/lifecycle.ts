import type { Logger } from 'pino'
import type { CredentialsGate } from './credentials.js'
import type { Destination } from './destination.js'
import type { QueueDepth } from './queue-depth.js'
import type { Retention } from './retention.js'
import type { Scheduler } from './scheduler.js'
import type { QueueStore } from './storage/storage.js'
import type { createWorker } from './worker.js'
import type { WriteHealth } from './write-health.js'

export interface LifecycleParts {
  storage: QueueStore
  sharedQueue: boolean
  depth: QueueDepth
  gate: CredentialsGate
  scheduler: Scheduler
  retention: Retention
  intake: { drain(): Promise<void> }
  worker: ReturnType<typeof createWorker>
  writes: WriteHealth
  destination: Destination
  stopTimeoutMs: number
  now: () => number
  logger: Logger
}

/**
 * Start and stop, in order. Start recovers what the last run left in flight before any claim;
 * stop takes no new work, lets in-flight deliveries finish for a while, releases the rest as
 * unknown outcomes, and writes every outcome before it returns. The storage stays open: its owner
 * closes it.
 */
export class ServiceLifecycle {
  started = false
  stopped = false
  /** Set as stop begins: accept() refuses and workers claim nothing more. */
  shuttingDown = false
  private unwatch: (() => Promise<void>) | null = null

  constructor(private readonly parts: LifecycleParts) {}

  async start(): Promise<void> {
    if (this.started) return
    this.started = true
    const { storage, logger } = this.parts
    const recovered = await storage.recoverAbandoned(this.parts.now())
    if (recovered > 0) {
      logger.warn(
        { recovered },
        'deliveries in flight at the last stop will be settled by lookup before any resend',
      )
    }
    this.parts.retention.start()
    if (this.parts.sharedQueue) this.parts.depth.refreshPeriodically()
    const { scheduler } = this.parts
    // Work queued by another instance starts at once; the poll is only the fallback.
    this.unwatch = storage.watchForWork?.(() => scheduler.wake()) ?? null
    scheduler.start()
    // Learn the credentials' state before the first event needs them.
    void this.parts.gate.probe()
  }

  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.shuttingDown = true
    const { scheduler, logger } = this.parts
    scheduler.halt()
    await this.unwatch?.()
    this.parts.gate.stop()
    this.parts.writes.stop()
    this.parts.depth.stop()
    await this.parts.retention.stop()
    await this.parts.intake.drain()
    const finished = await scheduler.settle(this.parts.stopTimeoutMs)
    // With those whose outcome could not be recorded during a storage outage.
    const left = [...(finished ? [] : scheduler.inFlightClaims()), ...this.parts.writes.heldClaims()]
    if (left.length > 0) {
      logger.warn(
        { inFlight: left.length },
        'releasing unfinished deliveries; they are settled by lookup at next start',
      )
      try {
        await this.parts.worker.release(left)
      } catch (err) {
        logger.error({ err }, 'releasing unfinished deliveries failed; they are recovered at next start')
      }
    }
    await this.parts.worker.drain()
    await this.parts.destination.close()
  }
}
