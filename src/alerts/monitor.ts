import type { Logger } from 'pino'
import { memoryAlertRecord } from '../pipeline/storage/sqlite/alerts.js'
import type { AlertChange, AlertRow } from '../pipeline/storage/storage.js'
import {
  type AlertName,
  type AlertThresholds,
  type Condition,
  conditionsOf,
  type Observation,
  type Transition,
  transitionsOf,
} from './conditions.js'
import { type AlertDestination, type RetryOptions, SEND_RETRY, sendWithRetry } from './destinations.js'
import { type AlertMessage, alertMessage, testMessage } from './message.js'

/** The shared alert record (the store): each change is a claim one instance wins. */
export interface AlertRecord {
  openAlerts(): Promise<AlertRow[]>
  recordAlert(change: AlertChange): Promise<AlertRow | null>
  alertHistory(limit: number): Promise<AlertRow[]>
}

/** What one look at the service found; `storeRead` false: the store could not be read this time. */
export type Sighting = Observation & { storeRead: boolean }

export interface AlertMonitorOptions {
  record: AlertRecord
  observe: (now: number) => Promise<Sighting>
  thresholds: AlertThresholds
  destinations: AlertDestination[]
  consoleUrl: () => string
  intervalMs: number
  /** Resolved alerts are forgotten after this long. */
  retentionMs: number
  /** This instance, as the record's `seenBy`. */
  instance: string
  now: () => number
  logger: Logger
  retry?: Omit<RetryOptions, 'logger' | 'signal'>
}

/**
 * Conditions about the store itself cannot be claimed through it: each instance keeps those in
 * memory (with the same claim rules) and sends them on its own.
 */
const LOCAL: ReadonlySet<AlertName> = new Set(['storage_unavailable'])

/**
 * Looks at the service every `intervalMs`, turns what it sees into transitions (conditions.ts) and
 * sends a message for each transition this instance wins on the shared record: once when a condition
 * starts, once when it clears, a reminder after `remindAfterMs`. Sends run apart from the look, with
 * retries; a stop aborts them.
 */
export class AlertMonitor {
  private timer: NodeJS.Timeout | null = null
  private running: Promise<void> | null = null
  private readonly abort = new AbortController()
  private readonly sending = new Set<Promise<unknown>>()
  private readonly local: AlertRecord = memoryAlertRecord()
  private storeFailing = false

  constructor(private readonly o: AlertMonitorOptions) {}

  start(): void {
    if (this.timer || this.abort.signal.aborted) return
    const loop = () => {
      this.timer = setTimeout(async () => {
        await this.tick()
        if (!this.abort.signal.aborted) loop()
      }, this.o.intervalMs)
      this.timer.unref()
    }
    void this.tick().then(() => loop())
  }

  async stop(): Promise<void> {
    this.abort.abort()
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    await this.running
    await Promise.allSettled([...this.sending])
  }

  /** One look; never throws (a failure is logged and the next look tries again). */
  tick(): Promise<void> {
    this.running ??= this.look().finally(() => {
      this.running = null
    })
    return this.running
  }

  /** Resolves once every message sent so far arrived or was given up. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.sending])
  }

  /** What the console shows: where alerts go and the thresholds; labels only, no secret. */
  describe() {
    return {
      destinations: this.o.destinations.map((d) => d.label),
      thresholds: this.o.thresholds,
      intervalMs: this.o.intervalMs,
    }
  }

  /** The newest alerts, open and resolved; those kept in memory (storage) merged in. */
  async history(limit: number): Promise<AlertRow[]> {
    const [stored, local] = await Promise.all([
      this.o.record.alertHistory(limit).catch(() => []),
      this.local.alertHistory(limit).then((rows) => rows.map((r) => ({ ...r, id: `local-${r.id}` }))),
    ])
    return [...stored, ...local].sort((a, b) => b.firedAt - a.firedAt).slice(0, limit)
  }

  /** One try to every destination, now; what each answered. */
  async sendTest(): Promise<Array<{ destination: string; ok: boolean; error: string | null }>> {
    const message = testMessage(this.o.consoleUrl(), this.o.now())
    return Promise.all(
      this.o.destinations.map(async (d) => {
        try {
          await d.send(message, AbortSignal.timeout(15_000))
          return { destination: d.label, ok: true, error: null }
        } catch (err) {
          return { destination: d.label, ok: false, error: (err as Error).message }
        }
      }),
    )
  }

  private async look(): Promise<void> {
    const now = this.o.now()
    let sighting: Sighting
    try {
      sighting = await this.o.observe(now)
    } catch (err) {
      this.o.logger.warn({ reason: (err as Error).message }, 'alerts: could not look at the service')
      return
    }
    const holding = conditionsOf(sighting, this.o.thresholds, now)
    const isLocal = (c: { alert: string }) => LOCAL.has(c.alert as AlertName)
    await this.apply(this.local, holding.filter(isLocal), isLocal, now)
    if (!sighting.storeRead) return
    try {
      await this.apply(
        this.o.record,
        holding.filter((c) => !isLocal(c)),
        (c) => !isLocal(c),
        now,
      )
      if (this.storeFailing) this.o.logger.info('alerts: the alert record can be written again')
      this.storeFailing = false
    } catch (err) {
      if (!this.storeFailing)
        this.o.logger.warn(
          { reason: (err as Error).message },
          'alerts: the alert record cannot be written; trying again',
        )
      this.storeFailing = true
    }
  }

  private async apply(
    record: AlertRecord,
    holding: Condition[],
    mine: (a: { alert: string }) => boolean,
    now: number,
  ): Promise<void> {
    const open = (await record.openAlerts()).filter(mine)
    for (const t of transitionsOf(open, holding, now, this.o.thresholds.remindAfterMs)) {
      const row = await record.recordAlert(this.changeOf(t, now))
      if (row === null || t.kind === 'seen') continue
      const facts = { alert: row.alert as AlertName, since: row.since, count: row.count, reason: row.reason }
      const state = t.kind === 'resolve' ? 'resolved' : 'firing'
      this.send(
        alertMessage(facts, state, { consoleUrl: this.o.consoleUrl(), now, reminder: t.kind === 'remind' }),
      )
    }
  }

  private changeOf(t: Transition, now: number): AlertChange {
    const by = this.o.instance
    switch (t.kind) {
      case 'fire':
        return { kind: 'fire', ...t.condition, at: now, by, forgetBefore: now - this.o.retentionMs }
      case 'remind':
        return {
          kind: 'remind',
          id: t.open.id,
          notifiedAt: t.open.notifiedAt,
          count: t.condition.count,
          at: now,
          by,
        }
      case 'seen':
        return { kind: 'seen', id: t.open.id, count: t.condition.count, at: now, by }
      case 'resolve':
        // Missed on two looks in a row (one miss is a flap, not a fix); another instance that still
        // sees it keeps it open until it has been quiet for three looks.
        return {
          kind: 'resolve',
          id: t.open.id,
          at: now,
          by,
          ownQuietBefore: now - 1.5 * this.o.intervalMs,
          quietBefore: now - 3 * this.o.intervalMs,
        }
    }
  }

  private send(message: AlertMessage): void {
    this.o.logger.info(
      {
        alert: message.alert,
        state: message.state,
        since: message.since,
        count: message.count,
        reason: message.reason,
      },
      `alert ${message.state}: ${message.alert}`,
    )
    for (const destination of this.o.destinations) {
      const sent = sendWithRetry(destination, message, {
        ...(this.o.retry ?? SEND_RETRY),
        logger: this.o.logger,
        signal: this.abort.signal,
      }).finally(() => this.sending.delete(sent))
      this.sending.add(sent)
    }
  }
}
