import { join } from 'node:path'
import type { Settings } from '../core/settings.js'
import { createPerkvilleClient } from '../perkville/client.js'
import type { PerkvilleClient } from '../perkville/client-api.js'
import { CredentialsGate } from './credentials.js'
import { deliverOne } from './deliver.js'
import { atTheDoor, type DoorVerdict, DropLog, dropCounts } from './door.js'
import { createGroupCommit } from './group-commit.js'
import { createMetrics } from './metrics.js'
import { type DeliveryServiceOptions, resolveOptions } from './options.js'
import { decideOrder, ORDER_ALREADY_AWARDED, REFUND_EXCEEDS_ORDER } from './order-rules.js'
import { Retention } from './retention.js'
import { Scheduler } from './scheduler.js'
import {
  type AcceptResult,
  type AttemptRecord,
  type DeliveryService,
  type DeliveryStats,
  type EventQuery,
  type EventRecord,
  type EventStatus,
  type Health,
  type IncomingEvent,
  SQLITE_FILE,
} from './service-api.js'
import { computeStats } from './stats.js'
import { openPostgresStorage } from './storage/postgres.js'
import { openSqliteStorage } from './storage/sqlite.js'
import type { AcceptBatch, AcceptOutcome, AttemptRow, Completion, StoredEvent } from './storage/storage.js'
import { releaseOf, WriteHealth } from './write-health.js'

const DEPTH_REFRESH_MS = 5_000
const STATUSES: readonly EventStatus[] = ['pending', 'in_flight', 'retrying', 'delivered', 'failed']
/** Policy decisions, not delivery failures: a bulk replay leaves them alone unless asked by name. */
const ORDER_RULE_REASONS = [ORDER_ALREADY_AWARDED, REFUND_EXCEEDS_ORDER]

export async function createDeliveryService(opts: DeliveryServiceOptions): Promise<DeliveryService> {
  const o = resolveOptions(opts)
  const { logger } = opts
  const now = o.now
  const storage =
    opts.storage ??
    (opts.databaseUrl !== undefined
      ? await openPostgresStorage({
          connectionString: opts.databaseUrl,
          schema: opts.databaseSchema,
          poolSize: opts.databasePoolSize,
          onError: (err) => logger.error({ err }, 'a PostgreSQL connection failed'),
        })
      : openSqliteStorage({
          path: join(opts.dataDir, SQLITE_FILE),
          synchronous: o.durability === 'power' ? 'FULL' : 'NORMAL',
        }))

  let settings: Settings = opts.settings
  let client: PerkvilleClient = opts.client
  const ownedClients: PerkvilleClient[] = []
  const createClient =
    opts.createClient ??
    ((s: Settings) => createPerkvilleClient({ baseUrl: opts.client.baseUrl, token: s.apiKey }))
  const secrets = () => [settings.apiKey]
  let shuttingDown = false
  let started = false
  let stopped = false

  // Kept in memory so /metrics and health never count a million rows; storage is the source at start.
  let depth = await storage.queueDepth()
  let depthTimer: NodeJS.Timeout | undefined
  const drops = new DropLog()
  drops.seed(await storage.dropTotals())

  const gate = new CredentialsGate({
    probeMs: o.credentialsProbeMs,
    now,
    logger,
    target: () => ({ client, businessId: settings.businessId, secrets: secrets() }),
    onResume: () => scheduler.wake(),
  })
  const metrics = createMetrics(
    opts.registry,
    () => depth,
    () => gate.paused,
  )

  const rules = { oneAwardPerOrder: o.oneAwardPerOrder, capRefunds: o.capRefunds }
  const acceptCommit = createGroupCommit<AcceptBatch, AcceptOutcome[]>((batches) =>
    storage.accept(batches, {
      now: now(),
      dedupSince: now() - o.dedupWindowMs,
      orderRule: (tx, ledger) => decideOrder(rules, tx, ledger),
    }),
  )
  const completeCommit = createGroupCommit<Completion, boolean>(async (completions) => {
    const { applied, cascadedFailures } = await storage.complete(completions, now())
    if (cascadedFailures > 0) {
      depth = Math.max(0, depth - cascadedFailures)
      metrics.failed.inc({ reason: REFUND_EXCEEDS_ORDER }, cascadedFailures)
    }
    return applied
  })

  const scheduler: Scheduler = new Scheduler({
    storage,
    concurrency: o.concurrency,
    leaseMs: o.leaseMs,
    pollMs: o.pollMs,
    now,
    logger,
    capacity: () => (shuttingDown ? 0 : gate.capacity(o.concurrency)),
    run: async (claim) => {
      const out = await deliverOne(claim, {
        client,
        secrets: secrets(),
        now,
        backoff: o.backoff,
        retryForMs: o.retryForMs,
        ...(opts.random ? { random: opts.random } : {}),
      })
      // Pause before this worker frees its slot, so no other claim meets the same 401.
      if (out.credentials) gate.reject(out.credentials.status, out.credentials.message)
      try {
        // A completion whose lease was lost changed nothing (another claim owns the event now).
        const applied = await completeCommit.submit(out.completion)
        writes.succeeded()
        if (!applied) return
      } catch (err) {
        // The lease stays in storage; the event is settled by lookup when claimed again.
        if (stopped)
          logger.info({ eventId: claim.id }, 'delivery finished after shutdown; it is settled at next start')
        else {
          logger.error({ err, eventId: claim.id }, 'recording a delivery outcome failed')
          // Released as soon as writes work again, not when the lease runs out.
          writes.hold(claim)
          writes.failed(err)
        }
        return
      }
      const r = out.completion.result
      if (r.status === 'delivered') {
        depth = Math.max(0, depth - 1)
        metrics.delivered.inc()
        if (out.latencyMs !== null) metrics.latency.observe(out.latencyMs / 1000)
        if (gate.state().state !== 'ok') gate.accepted()
      } else if (r.status === 'failed') {
        depth = Math.max(0, depth - 1)
        metrics.failed.inc({ reason: r.reason })
        logger.warn({ eventId: claim.id, reason: r.reason, error: r.error }, 'event failed')
      } else if (r.status === 'retrying' && out.retry) {
        metrics.retries.inc({ kind: out.retry })
      }
    },
  })

  const writes = new WriteHealth({
    storage,
    now,
    probeMs: o.pollMs,
    logger,
    onRecovered: () => scheduler.wake(),
  })

  const retention = new Retention({
    storage,
    now,
    retentionMs: o.retentionMs,
    dedupWindowMs: o.dedupWindowMs,
    intervalMs: o.pruneIntervalMs,
    logger,
  })

  async function accept(events: IncomingEvent[]): Promise<AcceptResult> {
    if (shuttingDown) throw new Error('the delivery service is shutting down')
    const batch: AcceptBatch = { events: [], drops: [] }
    const dropped: Array<{ at: number; code: string }> = []
    const bySource = new Map<string, number>()
    const byCode = new Map<string, number>()
    for (const given of events) {
      // A receive time the server failed to set must not cost the event.
      const incoming = Number.isFinite(given.receivedAt) ? given : { ...given, receivedAt: now() }
      bySource.set(incoming.source, (bySource.get(incoming.source) ?? 0) + 1)
      let verdict: DoorVerdict
      try {
        verdict = atTheDoor(settings, incoming)
      } catch (err) {
        // Never expected (the rules do not throw), but one odd event must not fail its batch.
        verdict = {
          kind: 'drop',
          code: 'INVALID_EVENT',
          message: `the event could not be read: ${err instanceof Error ? err.message : String(err)}`,
          messageId: null,
          eventName: null,
        }
      }
      if (verdict.kind === 'drop') {
        const at = incoming.receivedAt
        drops.record(at, verdict)
        dropped.push({ at, code: verdict.code })
        byCode.set(verdict.code, (byCode.get(verdict.code) ?? 0) + 1)
      } else {
        batch.events.push(verdict.event)
      }
    }
    for (const [source, n] of bySource) metrics.received.inc({ source }, n)
    for (const [code, n] of byCode) metrics.rejected.inc({ code }, n)
    if (batch.events.length === 0 && dropped.length === 0) return { queued: 0, duplicates: 0, dropped: 0 }
    batch.drops = dropCounts(dropped)
    let outcomes: AcceptOutcome[]
    try {
      outcomes = await acceptCommit.submit(batch)
    } catch (err) {
      writes.failed(err)
      throw err
    }
    writes.succeeded()
    let queued = 0
    let duplicates = 0
    let byRule = 0
    outcomes.forEach((outcome, i) => {
      if (outcome === 'queued') queued++
      else if (outcome === 'duplicate') duplicates++
      else {
        byRule++
        const ev = batch.events[i]!
        metrics.failed.inc({ reason: ev.tx.kind === 'refund' ? REFUND_EXCEEDS_ORDER : ORDER_ALREADY_AWARDED })
      }
    })
    if (queued > 0) {
      depth += queued
      metrics.queued.inc(queued)
      scheduler.wake()
    }
    if (duplicates > 0) metrics.duplicates.inc(duplicates)
    return { queued, duplicates, dropped: dropped.length + byRule }
  }

  const service: DeliveryService = {
    accept,

    stats: (query): Promise<DeliveryStats> => computeStats(storage, query),

    async listEvents(query: EventQuery) {
      const limit = Math.min(Math.max(Math.floor(query.limit ?? 50), 1), 500)
      if (query.status !== undefined && !STATUSES.includes(query.status)) {
        throw new RangeError(`status must be one of ${STATUSES.join(', ')}`)
      }
      const rows = await storage.listEvents({
        limit: limit + 1,
        ...(query.status !== undefined ? { status: query.status } : {}),
        ...(query.email !== undefined ? { customerKey: query.email.trim().toLowerCase() } : {}),
        ...(query.messageId !== undefined ? { messageId: query.messageId } : {}),
        ...(query.orderId !== undefined ? { orderId: query.orderId } : {}),
        ...(Number.isFinite(query.from) ? { from: query.from } : {}),
        ...(Number.isFinite(query.to) ? { to: query.to } : {}),
        ...(query.cursor !== undefined ? { beforeId: decodeCursor(query.cursor) } : {}),
      })
      const page = rows.slice(0, limit)
      const last = page[page.length - 1]
      return {
        events: page.map(toRecord),
        nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null,
      }
    },

    async getEvent(id) {
      const row = await storage.getEvent(id)
      return row ? toRecord(row) : null
    },

    async retryEvent(id) {
      const ok = await storage.retry(id, now())
      if (ok) {
        depth++
        scheduler.wake()
      }
      return ok
    },

    // Kept as long as the events themselves, so a replayed signature meets its binding.
    bindSignedBody: (messageId, digest) =>
      storage.bindSignedBody(messageId, digest, now(), now() - Math.max(o.dedupWindowMs, o.retentionMs)),

    async replayFailed(range) {
      if (!Number.isFinite(range.from) || !Number.isFinite(range.to) || range.to <= range.from) {
        throw new RangeError('replay needs a time range: from and to in epoch milliseconds, to after from')
      }
      const n = await storage.replayFailed(
        {
          from: range.from,
          to: range.to,
          reasons: range.reason !== undefined ? [range.reason] : null,
          excludeReasons: ORDER_RULE_REASONS,
        },
        now(),
      )
      if (n > 0) {
        depth += n
        scheduler.wake()
      }
      return n
    },

    droppedSamples: () => drops.samples(),
    droppedCounts: () => drops.totals(),
    credentials: () => gate.state(),

    async health(): Promise<Health> {
      const ok = (await storage.ping()) && (await writes.check())
      const problem = writes.problem()
      return {
        storage: ok ? 'ok' : 'error',
        ...(problem !== null ? { storageProblem: problem } : {}),
        shuttingDown,
        credentials: gate.state(),
        queueDepth: depth,
      }
    },

    async updateSettings(next) {
      const keyChanged = next.apiKey !== settings.apiKey
      if (keyChanged) {
        const previous = client
        const fresh = createClient(next)
        ownedClients.push(fresh)
        client = fresh
        // A client this service made is closed once requests still using it have had time to end.
        const i = ownedClients.indexOf(previous)
        if (i >= 0) {
          ownedClients.splice(i, 1)
          setTimeout(() => void previous.close().catch(() => undefined), 60_000).unref()
        }
      }
      settings = next
      gate.reset()
      logger.info({ keyChanged }, 'settings updated')
      scheduler.wake()
      if (started && !stopped) void gate.probe()
    },

    async start() {
      if (started) return
      started = true
      const recovered = await storage.recoverAbandoned(now())
      if (recovered > 0) {
        logger.warn(
          { recovered },
          'deliveries in flight at the last stop will be settled by lookup before any resend',
        )
      }
      retention.start()
      // In a shared database other instances move the queue too: re-count it now and then.
      if (opts.databaseUrl !== undefined) {
        depthTimer = setInterval(() => {
          storage.queueDepth().then(
            (n) => {
              depth = n
            },
            () => undefined,
          )
        }, DEPTH_REFRESH_MS)
        depthTimer.unref()
      }
      scheduler.start()
      // Learn the credentials' state before the first event needs them.
      void gate.probe()
    },

    async stop() {
      if (stopped) return
      stopped = true
      shuttingDown = true
      scheduler.halt()
      gate.stop()
      writes.stop()
      if (depthTimer) clearInterval(depthTimer)
      await retention.stop()
      await acceptCommit.drain()
      const finished = await scheduler.settle(o.stopTimeoutMs)
      const left = [...(finished ? [] : scheduler.inFlightClaims()), ...writes.heldClaims()]
      if (left.length > 0) {
        logger.warn(
          { inFlight: left.length },
          'releasing unfinished deliveries; they are settled by lookup at next start',
        )
        try {
          await storage.complete(
            left.map((c) => releaseOf(c, now())),
            now(),
          )
        } catch (err) {
          logger.error({ err }, 'releasing unfinished deliveries failed; they are recovered at next start')
        }
      }
      await completeCommit.drain()
      await storage.close()
      for (const c of ownedClients) await c.close().catch(() => undefined)
    },
  }
  return service
}

function encodeCursor(id: string): string {
  return Buffer.from(`before:${id}`).toString('base64url')
}

function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8')
  const m = /^before:(\d+)$/.exec(text)
  if (!m) throw new RangeError('cursor is not one this service handed out')
  return m[1]!
}

function parseJson(text: string | null): unknown {
  if (text === null) return null
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

function toAttemptRecord(a: AttemptRow): AttemptRecord {
  return {
    at: new Date(a.at).toISOString(),
    durationMs: a.durationMs,
    outcome: a.outcome,
    request: parseJson(a.request),
    response: parseJson(a.response),
    error: a.error,
  }
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString()
}

function toRecord(e: StoredEvent): EventRecord {
  return {
    id: e.id,
    messageId: e.messageId,
    externalId: e.externalId,
    email: e.email,
    orderId: e.orderId,
    perkId: e.perkId,
    quantity: e.quantity,
    requestedQuantity: e.requestedQuantity,
    kind: e.kind,
    status: e.status,
    failureReason: e.failureReason,
    lastError: e.lastError,
    attempts: e.attempts,
    receivedAt: new Date(e.receivedAt).toISOString(),
    nextAttemptAt: e.status === 'pending' || e.status === 'retrying' ? iso(e.nextAttemptAt) : null,
    deliveredAt: iso(e.deliveredAt),
    outcomeUnknown: e.unknown,
    payload: parseJson(e.payload),
    attemptLog: e.attemptLog.map(toAttemptRecord),
  }
}
