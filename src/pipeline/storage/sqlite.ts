import { closeSync, mkdirSync, openSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import type { EventStatus } from '../service-api.js'
import {
  type AttemptDbRow,
  type EventRow as Row,
  rowTransaction,
  toAttempt,
  toSeq,
  toStored,
} from './event-rows.js'
import { MIGRATIONS } from './sqlite-schema.js'
import type {
  AcceptBatch,
  AcceptContext,
  AcceptOutcome,
  AttemptRow,
  ClaimedEvent,
  CompleteResult,
  Completion,
  DropCount,
  EventFilter,
  LedgerState,
  PruneResult,
  StatsRow,
  Storage,
  StoredEvent,
} from './storage.js'

type EventRow = Row<number>

export interface SqliteStorageOptions {
  /** The database file; its directory is created when missing. */
  path: string
  /**
   * 'NORMAL' (default): a commit reaches the OS before accept() resolves, so a kill -9 loses
   * nothing; a power cut may lose the last commits. 'FULL': fsync on every commit, power-cut safe.
   */
  synchronous?: 'NORMAL' | 'FULL'
}

const ACTIVE = `status IN ('pending', 'in_flight', 'retrying')`
const PRUNE_CHUNK = 2_000
const STATS_CHUNK = 5_000

export function openSqliteStorage(opts: SqliteStorageOptions): Storage {
  mkdirSync(dirname(opts.path), { recursive: true, mode: 0o700 })
  // Customer emails: the owner's alone. SQLite gives the -wal and -shm files the database file's mode.
  closeSync(openSync(opts.path, 'a', 0o600))
  const db = new Database(opts.path)
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${opts.synchronous ?? 'NORMAL'}`)
  db.pragma('busy_timeout = 5000')
  // Bounded page cache: a million queued rows live on disk, not in the heap.
  db.pragma('cache_size = -32000')
  db.pragma('temp_store = MEMORY')
  migrate(db)
  return new SqliteStorage(db)
}

function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number
  if (current > MIGRATIONS.length) {
    throw new Error(
      `the database schema is version ${current}, newer than this program knows (${MIGRATIONS.length}); upgrade the program`,
    )
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!)
      db.pragma(`user_version = ${v + 1}`)
    })()
  }
}

function toCents(quantity: number): number {
  return Math.round(Math.abs(quantity) * 100)
}

class SqliteStorage implements Storage {
  private readonly s
  private nextLease = Math.floor(Math.random() * 2 ** 40)
  private closed = false

  constructor(private readonly db: Database.Database) {
    const p = (sql: string) => db.prepare(sql)
    this.s = {
      seen: p(`SELECT 1 FROM events WHERE external_id = ? AND received_at >= ? LIMIT 1`).pluck(),
      drop: p(
        `INSERT INTO drop_counts (minute, code, count) VALUES (?, ?, ?)
         ON CONFLICT (minute, code) DO UPDATE SET count = count + excluded.count`,
      ),
      ledgerGet: p(
        `SELECT awarded_cents, refunded_cents FROM order_ledger WHERE order_id = ? AND perk_id = ?`,
      ),
      ledgerPut: p(
        `INSERT INTO order_ledger (order_id, perk_id, awarded_cents, refunded_cents, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (order_id, perk_id) DO UPDATE SET awarded_cents = excluded.awarded_cents,
           refunded_cents = excluded.refunded_cents, updated_at = excluded.updated_at`,
      ),
      insert: p(
        `INSERT INTO events (message_id, external_id, customer_key, email, business_id, location_id, perk_id,
           send_email, kind, quantity, requested_quantity, order_id, event_timestamp, payload, source, status,
           ledger, received_at, next_attempt_at, finished_at, failure_reason, last_error)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      laneAdd: p(
        `INSERT INTO lanes (customer_key, due_at) VALUES (?, ?) ON CONFLICT (customer_key) DO NOTHING`,
      ),
      laneSet: p(`UPDATE lanes SET due_at = ? WHERE customer_key = ?`),
      laneDelete: p(`DELETE FROM lanes WHERE customer_key = ?`),
      lanesDue: p(`SELECT customer_key FROM lanes WHERE due_at <= ? ORDER BY due_at LIMIT ?`),
      laneMin: p(`SELECT MIN(due_at) AS due FROM lanes`),
      // Pinned to the partial index: the planner would otherwise walk the customer's whole history.
      head: p(
        `SELECT * FROM events INDEXED BY events_queue WHERE customer_key = ? AND ${ACTIVE} ORDER BY seq LIMIT 1`,
      ),
      lease: p(`UPDATE events SET status = 'in_flight', lease_id = ?, unknown = ? WHERE seq = ?`),
      byId: p(`SELECT * FROM events WHERE seq = ?`),
      attemptAdd: p(
        `INSERT INTO attempts (event_seq, at, duration_ms, outcome, request, response, error) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      attemptsOf: p(`SELECT * FROM attempts WHERE event_seq = ? ORDER BY id`),
      delivered: p(
        `UPDATE events SET status = 'delivered', unknown = 0, lease_id = NULL, next_attempt_at = NULL,
           attempts = attempts + ?, finished_at = ?, latency_ms = ? - received_at, transaction_id = ?,
           failure_reason = NULL
         WHERE seq = ?`,
      ),
      failed: p(
        `UPDATE events SET status = 'failed', lease_id = NULL, next_attempt_at = NULL, attempts = attempts + ?,
           finished_at = ?, failure_reason = ?, last_error = ? WHERE seq = ?`,
      ),
      retrying: p(
        `UPDATE events SET status = 'retrying', lease_id = NULL, next_attempt_at = ?, unknown = ?,
           attempts = attempts + ?, last_error = ?, first_failed_at = ? WHERE seq = ?`,
      ),
      released: p(
        `UPDATE events SET status = CASE WHEN attempts > 0 OR first_failed_at IS NOT NULL OR ? THEN 'retrying' ELSE 'pending' END,
           lease_id = NULL, next_attempt_at = ?, unknown = ? WHERE seq = ?`,
      ),
      queuedRefunds: p(
        `SELECT seq, quantity FROM events WHERE order_id = ? AND perk_id = ? AND kind = 'refund' AND ledger = 1
           AND status IN ('pending', 'retrying') ORDER BY seq DESC`,
      ),
      failQueued: p(
        `UPDATE events SET status = 'failed', ledger = 0, next_attempt_at = NULL, finished_at = ?,
           failure_reason = ?, last_error = ? WHERE seq = ?`,
      ),
      unreserve: p(`UPDATE events SET ledger = 0 WHERE seq = ?`),
      reserve: p(`UPDATE events SET ledger = 1 WHERE seq = ?`),
      inFlightOf: p(
        `SELECT 1 FROM events INDEXED BY events_queue WHERE customer_key = ? AND ${ACTIVE} AND status = 'in_flight' LIMIT 1`,
      ).pluck(),
      inFlightLanes: p(
        `SELECT DISTINCT customer_key FROM events INDEXED BY events_queue WHERE ${ACTIVE} AND status = 'in_flight'`,
      ),
      recover: p(
        `UPDATE events INDEXED BY events_queue SET status = 'retrying', unknown = 1, lease_id = NULL, next_attempt_at = ?
         WHERE ${ACTIVE} AND status = 'in_flight'`,
      ),
      requeue: p(
        `UPDATE events SET status = 'retrying', next_attempt_at = ?, failure_reason = NULL, finished_at = NULL,
           first_failed_at = NULL WHERE seq = ? AND status = 'failed'`,
      ),
      depth: p(`SELECT COUNT(*) AS n FROM events INDEXED BY events_queue WHERE ${ACTIVE}`),
      dropTotals: p(`SELECT code, SUM(count) AS n FROM drop_counts GROUP BY code`),
      pruneIds: p(
        `SELECT seq FROM events WHERE received_at < ? AND status IN ('delivered', 'failed') LIMIT ${PRUNE_CHUNK}`,
      ),
      dropsIn: p(`SELECT minute, code, count FROM drop_counts WHERE minute >= ? AND minute < ?`),
      lastError: p(`SELECT last_error FROM events WHERE seq = ?`).pluck(),
      pruneLedger: p(`DELETE FROM order_ledger WHERE updated_at < ?`),
      pruneDrops: p(`DELETE FROM drop_counts WHERE minute < ?`),
    }
  }

  async accept(batches: AcceptBatch[], ctx: AcceptContext): Promise<AcceptOutcome[][]> {
    return this.db.transaction(() => batches.map((batch) => this.acceptOne(batch, ctx)))()
  }

  private acceptOne(batch: AcceptBatch, ctx: AcceptContext): AcceptOutcome[] {
    const s = this.s
    for (const d of batch.drops) s.drop.run(d.minute, d.code, d.count)
    const out: AcceptOutcome[] = []
    for (const ev of batch.events) {
      if (s.seen.get(ev.dedupKey, ctx.dedupSince) !== undefined) {
        out.push('duplicate')
        continue
      }
      const tx = ev.tx
      let quantity = tx.quantity
      let ledger = 0
      let failure: { reason: string; message: string } | null = null
      if (tx.orderId !== null && tx.kind !== 'event') {
        const row = s.ledgerGet.get(tx.orderId, tx.perkId) as
          | { awarded_cents: number; refunded_cents: number }
          | undefined
        const state: LedgerState = {
          awardedCents: row?.awarded_cents ?? 0,
          refundedCents: row?.refunded_cents ?? 0,
        }
        const decision = ctx.orderRule(tx, state)
        if (decision.action === 'fail') {
          failure = { reason: decision.reason, message: decision.message }
        } else {
          quantity = decision.quantity
          if (decision.ledger) {
            ledger = 1
            s.ledgerPut.run(
              tx.orderId,
              tx.perkId,
              decision.ledger.awardedCents,
              decision.ledger.refundedCents,
              ctx.now,
            )
          }
        }
      }
      s.insert.run(
        ev.messageId,
        ev.externalId,
        ev.customerKey,
        tx.email,
        tx.businessId,
        tx.locationId,
        tx.perkId,
        tx.sendEmail ? 1 : 0,
        tx.kind,
        quantity,
        quantity === tx.quantity ? null : tx.quantity,
        tx.orderId,
        tx.timestamp,
        ev.payload,
        ev.source,
        failure ? 'failed' : 'pending',
        ledger,
        ev.receivedAt,
        failure ? null : ctx.now,
        failure ? ctx.now : null,
        failure?.reason ?? null,
        failure?.message ?? null,
      )
      if (failure) {
        out.push('order_rule')
      } else {
        s.laneAdd.run(ev.customerKey, ctx.now)
        out.push('queued')
      }
    }
    return out
  }

  async claim(limit: number, now: number, leaseMs: number): Promise<ClaimedEvent[]> {
    if (limit <= 0) return []
    return this.db.transaction(() => {
      const s = this.s
      const claimed: ClaimedEvent[] = []
      const lanes = s.lanesDue.all(now, limit) as Array<{ customer_key: string }>
      for (const { customer_key } of lanes) {
        const head = s.head.get(customer_key) as EventRow | undefined
        if (!head) {
          s.laneDelete.run(customer_key)
          continue
        }
        // A lane can be due while its head is not (a side effect changed the head): re-aim it.
        if (head.status !== 'in_flight' && (head.next_attempt_at ?? 0) > now) {
          s.laneSet.run(head.next_attempt_at, customer_key)
          continue
        }
        // A head still in flight on a due lane means its lease expired: the attempt's fate is unknown.
        const unknown = head.unknown === 1 || head.status === 'in_flight'
        const leaseId = ++this.nextLease
        s.lease.run(leaseId, unknown ? 1 : 0, head.seq)
        s.laneSet.run(now + leaseMs, customer_key)
        claimed.push({
          id: String(head.seq),
          leaseId,
          externalId: head.external_id,
          tx: rowTransaction(head),
          receivedAt: head.received_at,
          attempts: head.attempts,
          unknown,
          firstFailedAt: head.first_failed_at,
        })
      }
      return claimed
    })()
  }

  async complete(completions: Completion[], now: number): Promise<CompleteResult> {
    if (this.closed) throw new Error('storage is closed')
    return this.db.transaction(() => {
      let cascaded = 0
      const applied = completions.map((c) => {
        const n = this.completeOne(c, now)
        if (n < 0) return false
        cascaded += n
        return true
      })
      return { applied, cascadedFailures: cascaded }
    })()
  }

  /** Returns how many other queued events failed as a consequence (order ledger); -1 when ignored. */
  private completeOne(c: Completion, now: number): number {
    const s = this.s
    const seq = Number(c.id)
    for (const a of c.log)
      s.attemptAdd.run(seq, a.at, a.durationMs, a.outcome, a.request, a.response, a.error)
    const row = s.byId.get(seq) as EventRow | undefined
    if (row?.status !== 'in_flight' || row.lease_id !== c.leaseId) return -1
    let cascaded = 0
    const r = c.result
    switch (r.status) {
      case 'delivered':
        s.delivered.run(c.attemptsMade, r.at, r.at, r.transactionId, seq)
        break
      case 'failed':
        s.failed.run(c.attemptsMade, r.at, r.reason, r.error, seq)
        if (row.ledger === 1) cascaded = this.release(row, now)
        break
      case 'retrying':
        s.retrying.run(r.nextAttemptAt, r.unknown ? 1 : 0, c.attemptsMade, r.error, r.firstFailedAt, seq)
        break
      case 'released':
        s.released.run(r.unknown ? 1 : 0, r.nextAttemptAt, r.unknown ? 1 : 0, seq)
        break
    }
    this.aimLane(row.customer_key, now)
    return cascaded
  }

  /** Points the customer's lane at its new head, or removes it when nothing is left. */
  private aimLane(customerKey: string, now: number): void {
    const head = this.s.head.get(customerKey) as EventRow | undefined
    if (!head) this.s.laneDelete.run(customerKey)
    else if (head.status !== 'in_flight') this.s.laneSet.run(head.next_attempt_at ?? now, customerKey)
  }

  /**
   * A failed event gives back what it reserved in its order's ledger. When an award goes, queued
   * refunds that it covered go too (newest first), so a refund never removes points that were
   * never given.
   */
  private release(row: EventRow, now: number): number {
    const s = this.s
    if (row.order_id === null) return 0
    const ledger = s.ledgerGet.get(row.order_id, row.perk_id) as
      | { awarded_cents: number; refunded_cents: number }
      | undefined
    s.unreserve.run(row.seq)
    if (!ledger) return 0
    let cascaded = 0
    let awarded = ledger.awarded_cents
    let refunded = ledger.refunded_cents
    if (row.kind === 'refund') refunded = Math.max(0, refunded - toCents(row.quantity))
    else awarded = Math.max(0, awarded - toCents(row.quantity))
    if (refunded > awarded) {
      const refunds = s.queuedRefunds.all(row.order_id, row.perk_id) as Array<{
        seq: number
        quantity: number
      }>
      for (const refund of refunds) {
        if (refunded <= awarded) break
        s.failQueued.run(
          now,
          'refund_exceeds_order',
          `the award of order ${row.order_id} failed, so this refund has nothing to remove`,
          refund.seq,
        )
        refunded = Math.max(0, refunded - toCents(refund.quantity))
        cascaded++
      }
    }
    s.ledgerPut.run(row.order_id, row.perk_id, awarded, refunded, now)
    return cascaded
  }

  async nextDueAt(): Promise<number | null> {
    const row = this.s.laneMin.get() as { due: number | null }
    return row.due
  }

  async recoverAbandoned(now: number): Promise<number> {
    return this.db.transaction(() => {
      const lanes = this.s.inFlightLanes.all() as Array<{ customer_key: string }>
      const n = this.s.recover.run(now).changes
      for (const { customer_key } of lanes) this.s.laneSet.run(now, customer_key)
      return n
    })()
  }

  async retry(id: string, now: number): Promise<boolean> {
    const seq = toSeq(id)
    if (seq === null) return false
    return this.db.transaction(() => this.requeueOne(seq, now))()
  }

  private requeueOne(seq: number, now: number): boolean {
    const s = this.s
    const row = s.byId.get(seq) as EventRow | undefined
    if (row?.status !== 'failed') return false
    s.requeue.run(now, seq)
    // An operator's explicit retry is sent as is; it takes its share of the order ledger again.
    if (row.order_id !== null && row.kind !== 'event' && row.ledger === 0) {
      const ledger = (s.ledgerGet.get(row.order_id, row.perk_id) as
        | { awarded_cents: number; refunded_cents: number }
        | undefined) ?? { awarded_cents: 0, refunded_cents: 0 }
      const cents = toCents(row.quantity)
      s.ledgerPut.run(
        row.order_id,
        row.perk_id,
        ledger.awarded_cents + (row.kind === 'spend' ? cents : 0),
        ledger.refunded_cents + (row.kind === 'refund' ? cents : 0),
        now,
      )
      s.reserve.run(seq)
    }
    s.laneAdd.run(row.customer_key, now)
    // The re-queued event may now be its customer's head; a lane waiting on a later retry is re-aimed.
    // A lane whose customer has an event in flight keeps its lease: that completion re-aims it.
    if (s.inFlightOf.get(row.customer_key) === undefined) s.laneSet.run(now, row.customer_key)
    return true
  }

  async replayFailed(
    range: { from: number; to: number; reasons: string[] | null; excludeReasons: string[] },
    now: number,
  ): Promise<number> {
    // Paged by seq over the failed-only index, so a large replay never sits in memory at once.
    const page = this.db.prepare(
      `SELECT seq, failure_reason FROM events INDEXED BY events_failed
       WHERE status = 'failed' AND seq > ? AND received_at >= ? AND received_at < ? ORDER BY seq LIMIT ${PRUNE_CHUNK}`,
    )
    let after = 0
    let n = 0
    for (;;) {
      const rows = page.all(after, range.from, range.to) as Array<{
        seq: number
        failure_reason: string | null
      }>
      if (rows.length === 0) break
      after = rows[rows.length - 1]!.seq
      const picked = rows.filter((r) => {
        const reason = r.failure_reason ?? ''
        return range.reasons !== null
          ? range.reasons.includes(reason)
          : !range.excludeReasons.includes(reason)
      })
      n += this.db.transaction(() => picked.filter((r) => this.requeueOne(r.seq, now)).length)()
      if (rows.length < PRUNE_CHUNK) break
      await yieldToLoop()
    }
    return n
  }

  async getEvent(id: string): Promise<StoredEvent | null> {
    const seq = toSeq(id)
    if (seq === null) return null
    const row = this.s.byId.get(seq) as EventRow | undefined
    if (!row) return null
    return toStored(row, (this.s.attemptsOf.all(seq) as AttemptDbRow[]).map(toAttempt))
  }

  async listEvents(f: EventFilter): Promise<StoredEvent[]> {
    const where: string[] = []
    const args: unknown[] = []
    if (f.status !== undefined) {
      where.push('status = ?')
      args.push(f.status)
    }
    if (f.customerKey !== undefined) {
      where.push('customer_key = ?')
      args.push(f.customerKey)
    }
    if (f.messageId !== undefined) {
      // The external id is the messageId whenever there is one, and it is indexed.
      where.push('external_id = ? AND message_id = ?')
      args.push(f.messageId, f.messageId)
    }
    if (f.orderId !== undefined) {
      where.push('order_id = ?')
      args.push(f.orderId)
    }
    if (f.from !== undefined) {
      where.push('received_at >= ?')
      args.push(f.from)
    }
    if (f.to !== undefined) {
      where.push('received_at < ?')
      args.push(f.to)
    }
    if (f.beforeId !== undefined) {
      where.push('seq < ?')
      args.push(Number(f.beforeId))
    }
    const sql = `SELECT * FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`
    const rows = this.db.prepare(sql).all(...args, f.limit) as EventRow[]
    if (rows.length === 0) return []
    const attempts = this.db
      .prepare(`SELECT * FROM attempts WHERE event_seq IN (${rows.map(() => '?').join(',')}) ORDER BY id`)
      .all(...rows.map((r) => r.seq)) as AttemptDbRow[]
    const bySeq = new Map<number, AttemptRow[]>()
    for (const a of attempts) {
      const list = bySeq.get(a.event_seq) ?? []
      list.push(toAttempt(a))
      bySeq.set(a.event_seq, list)
    }
    return rows.map((r) => toStored(r, bySeq.get(r.seq) ?? []))
  }

  async *scanForStats(from: number, to: number): AsyncIterable<StatsRow[]> {
    const page = this.db.prepare(
      `SELECT seq, received_at, status, latency_ms, failure_reason, last_error IS NOT NULL AS has_error
       FROM events INDEXED BY events_received
       WHERE received_at < ? AND (received_at, seq) > (?, ?) ORDER BY received_at, seq LIMIT ${STATS_CHUNK}`,
    )
    let lastAt = from - 1
    let lastSeq = Number.MAX_SAFE_INTEGER
    for (;;) {
      if (this.closed) return
      const rows = page.all(to, lastAt, lastSeq) as Array<{
        seq: number
        received_at: number
        status: EventStatus
        latency_ms: number | null
        failure_reason: string | null
        has_error: number
      }>
      if (rows.length === 0) return
      const last = rows[rows.length - 1]!
      lastAt = last.received_at
      lastSeq = last.seq
      yield rows.map((r) => ({
        id: String(r.seq),
        receivedAt: r.received_at,
        status: r.status,
        latencyMs: r.latency_ms,
        failureReason: r.failure_reason,
        hasError: r.has_error === 1,
      }))
      if (rows.length < STATS_CHUNK) return
      await yieldToLoop()
    }
  }

  async dropCounts(from: number, to: number): Promise<DropCount[]> {
    // Minute granularity: every minute that overlaps the range counts.
    return this.s.dropsIn.all(Math.floor(from / 60_000), Math.ceil(to / 60_000)) as DropCount[]
  }

  async lastErrors(ids: string[]): Promise<Map<string, string | null>> {
    const out = new Map<string, string | null>()
    for (const id of ids) out.set(id, (this.s.lastError.get(Number(id)) as string | null | undefined) ?? null)
    return out
  }

  async dropTotals(): Promise<Record<string, number>> {
    const out: Record<string, number> = {}
    for (const r of this.s.dropTotals.all() as Array<{ code: string; n: number }>) out[r.code] = r.n
    return out
  }

  async queueDepth(): Promise<number> {
    return (this.s.depth.get() as { n: number }).n
  }

  async prune(deliveredBefore: number, ledgerBefore: number): Promise<PruneResult> {
    const s = this.s
    let events = 0
    for (;;) {
      const ids = (s.pruneIds.all(deliveredBefore) as Array<{ seq: number }>).map((r) => r.seq)
      if (ids.length === 0) break
      const marks = ids.map(() => '?').join(',')
      this.db.transaction(() => {
        this.db.prepare(`DELETE FROM attempts WHERE event_seq IN (${marks})`).run(...ids)
        this.db.prepare(`DELETE FROM events WHERE seq IN (${marks})`).run(...ids)
      })()
      events += ids.length
      if (ids.length < PRUNE_CHUNK) break
      // Pruning a large backlog must not hold up accepts for long.
      await yieldToLoop()
    }
    s.pruneLedger.run(ledgerBefore)
    s.pruneDrops.run(Math.floor(deliveredBefore / 60_000))
    return { events }
  }

  async bindSignedBody(messageId: string, digest: string, now: number, forgetBefore: number) {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM signed_bodies WHERE at < ?').run(forgetBefore)
      this.db.prepare('INSERT OR IGNORE INTO signed_bodies VALUES (?, ?, ?)').run(messageId, digest, now)
      return (
        this.db
          .prepare('SELECT body_digest FROM signed_bodies WHERE message_id = ?')
          .pluck()
          .get(messageId) === digest
      )
    })()
  }

  async probeWrite(): Promise<boolean> {
    try {
      // Two commits: a row the size of a big batch must reach the WAL, then it is removed again.
      this.db.prepare('INSERT OR REPLACE INTO write_probe VALUES (1, zeroblob(262144))').run()
      this.db.prepare('DELETE FROM write_probe').run()
      return true
    } catch {
      return false
    }
  }

  async ping(): Promise<boolean> {
    if (this.closed) return false
    try {
      this.db.prepare('SELECT 1').get()
      return true
    } catch {
      return false
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.db.close()
  }
}

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
