import pg from 'pg'
import type { Transaction } from '../../core/types.js'
import type { EventStatus } from '../service-api.js'
import {
  type AttemptDbRow,
  type EventRow as Row,
  rowTransaction,
  toAttempt,
  toSeq,
  toStored,
} from './event-rows.js'
import { checkSchemaName, migratePostgres } from './postgres-schema.js'
import { redactDatabaseUrl, scrubDatabasePassword } from './postgres-url.js'
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
  NewEvent,
  PruneResult,
  StatsRow,
  Storage,
  StoredEvent,
} from './storage.js'

type EventRow = Row<boolean>

export interface PostgresStorageOptions {
  /** postgres://user:password@host:port/database */
  connectionString: string
  /** Tables live in this schema (created when missing); default `public`. */
  schema?: string
  /** Connections per instance; default 10. */
  poolSize?: number
  /** Gives up connecting after this long; default 5 s. */
  connectTimeoutMs?: number
  /** Told about connection errors that happen outside any query (an idle connection dropped). */
  onError?: (err: Error) => void
}

const ACTIVE = `status IN ('pending', 'in_flight', 'retrying')`
const PAGE = 2_000
const STATS_CHUNK = 5_000
/** Deadlocks and serialisation failures roll back cleanly; the transaction is simply run again. */
const RETRYABLE = new Set(['40P01', '40001'])
const MAX_TX_TRIES = 5

// int8 (counts, times, ids) as numbers: every value stored here stays below 2^53.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 && format !== 'binary') return (v: string) => Number(v)
    return pg.types.getTypeParser(oid, format as 'text')
  },
}

type Client = pg.PoolClient

/** Opens the pool and migrates the schema (under an advisory lock, so instances may start together). */
export async function openPostgresStorage(opts: PostgresStorageOptions): Promise<Storage> {
  const schema = checkSchemaName(opts.schema ?? 'public')
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.poolSize ?? 10,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
    // Every connection works inside the configured schema.
    options: `-c search_path=${schema}`,
    types,
  })
  // Without a listener, an idle connection's error would crash the process.
  pool.on('error', (err) => opts.onError?.(err))
  try {
    const client = await pool.connect()
    try {
      await migratePostgres(client, schema)
    } finally {
      client.release()
    }
  } catch (err) {
    await pool.end().catch(() => undefined)
    const reason = scrubDatabasePassword(
      err instanceof Error ? err.message : String(err),
      opts.connectionString,
    )
    throw new Error(
      `cannot open the PostgreSQL database ${redactDatabaseUrl(opts.connectionString)}: ${reason}`,
    )
  }
  return new PostgresStorage(pool)
}

function toCents(quantity: number): number {
  return Math.round(Math.abs(quantity) * 100)
}

function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort()
}

const ledgerKey = (orderId: string, perkId: string) => `${orderId}\u0000${perkId}`

class PostgresStorage implements Storage {
  private closed = false

  constructor(private readonly pool: pg.Pool) {}

  /** Runs fn in one transaction, again from the start when PostgreSQL broke a deadlock. */
  private async tx<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('storage is closed')
    for (let attempt = 1; ; attempt++) {
      const c = await this.pool.connect()
      let broken: Error | undefined
      try {
        await c.query('BEGIN')
        const out = await fn(c)
        await c.query('COMMIT')
        return out
      } catch (err) {
        try {
          await c.query('ROLLBACK')
        } catch (e) {
          broken = e as Error
        }
        const code = (err as { code?: string }).code
        if (code !== undefined && RETRYABLE.has(code) && attempt < MAX_TX_TRIES) continue
        throw err
      } finally {
        c.release(broken)
      }
    }
  }

  async accept(batches: AcceptBatch[], ctx: AcceptContext): Promise<AcceptOutcome[][]> {
    const flat = batches.flatMap((b, bi) => b.events.map((ev, ei) => ({ ev: textSafe(ev), bi, ei })))
    const drops = new Map<string, DropCount>()
    for (const b of batches) {
      for (const d of b.drops) {
        const k = `${d.minute}\u0000${d.code}`
        const seen = drops.get(k)
        if (seen) seen.count += d.count
        else drops.set(k, { ...d })
      }
    }
    return this.tx(async (c) => {
      const out: AcceptOutcome[][] = batches.map((b) => b.events.map(() => 'duplicate' as AcceptOutcome))

      // 1. Dedup. A repeat within this call is a duplicate of its first occurrence; the first
      // occurrences claim their key in the dedup table (in key order, so concurrent accepts never deadlock).
      const firstByKey = new Map<string, number>()
      flat.forEach((f, i) => {
        if (!firstByKey.has(f.ev.dedupKey)) firstByKey.set(f.ev.dedupKey, i)
      })
      const keys = [...firstByKey.keys()].sort()
      const fresh = new Set<string>()
      if (keys.length > 0) {
        const res = await c.query<{ dedup_key: string }>(
          `INSERT INTO dedup (dedup_key, received_at)
           SELECT k, r FROM unnest($1::text[], $2::bigint[]) AS u(k, r) ORDER BY k
           ON CONFLICT (dedup_key) DO UPDATE SET received_at = excluded.received_at
             WHERE dedup.received_at < $3
           RETURNING dedup_key`,
          [keys, keys.map((k) => flat[firstByKey.get(k)!]!.ev.receivedAt), ctx.dedupSince],
        )
        for (const r of res.rows) fresh.add(r.dedup_key)
      }
      const admitted = flat.filter((f, i) => fresh.has(f.ev.dedupKey) && firstByKey.get(f.ev.dedupKey) === i)

      // 2. Lock the lanes of these customers before inserting their events: events of one customer
      // are then inserted by one transaction at a time, so their seq order is their commit order.
      const createdLanes = new Set<string>()
      const customers = sortedUnique(admitted.map((f) => f.ev.customerKey))
      if (customers.length > 0) {
        const res = await c.query<{ customer_key: string; created: boolean }>(
          `INSERT INTO lanes (customer_key, due_at) SELECT k, $2 FROM unnest($1::text[]) AS u(k) ORDER BY k
           ON CONFLICT (customer_key) DO UPDATE SET due_at = lanes.due_at
           RETURNING customer_key, (xmax = 0) AS created`,
          [customers, ctx.now],
        )
        for (const r of res.rows) if (r.created) createdLanes.add(r.customer_key)
      }

      // 3. The order ledgers these events touch, locked in key order; the rules run against them in
      // receipt order, exactly as on one machine.
      const ledgers = await this.lockLedgers(
        c,
        admitted.map((f) => f.ev.tx).filter((tx) => tx.orderId !== null && tx.kind !== 'event'),
        ctx.now,
      )
      const touched = new Set<string>()
      const rows: Array<{
        f: (typeof flat)[number]
        quantity: number
        ledger: boolean
        failure: { reason: string; message: string } | null
      }> = []
      for (const f of admitted) {
        const tx = f.ev.tx
        let quantity = tx.quantity
        let ledger = false
        let failure: { reason: string; message: string } | null = null
        if (tx.orderId !== null && tx.kind !== 'event') {
          const key = ledgerKey(tx.orderId, tx.perkId)
          const state = ledgers.get(key) ?? { awardedCents: 0, refundedCents: 0 }
          const decision = ctx.orderRule(tx, { ...state })
          if (decision.action === 'fail') {
            failure = { reason: decision.reason, message: decision.message }
          } else {
            quantity = decision.quantity
            if (decision.ledger) {
              ledger = true
              ledgers.set(key, { ...decision.ledger })
              touched.add(key)
            }
          }
        }
        rows.push({ f, quantity, ledger, failure })
        out[f.bi]![f.ei] = failure ? 'order_rule' : 'queued'
      }
      if (touched.size > 0) {
        const list = [...touched].map((k) => {
          const [orderId, perkId] = k.split('\u0000') as [string, string]
          return { orderId, perkId, state: ledgers.get(k)! }
        })
        await c.query(
          `UPDATE order_ledger l SET awarded_cents = u.a, refunded_cents = u.r, updated_at = $5
           FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) AS u(o, p, a, r)
           WHERE l.order_id = u.o AND l.perk_id = u.p`,
          [
            list.map((x) => x.orderId),
            list.map((x) => x.perkId),
            list.map((x) => x.state.awardedCents),
            list.map((x) => x.state.refundedCents),
            ctx.now,
          ],
        )
      }

      // 4. The events, in receipt order (seq follows the ordinality).
      if (rows.length > 0) {
        const col = <T>(pick: (r: (typeof rows)[number]) => T): T[] => rows.map(pick)
        await c.query(
          `INSERT INTO events (message_id, external_id, customer_key, email, business_id, location_id, perk_id,
             send_email, kind, quantity, requested_quantity, order_id, event_timestamp, payload, source, status,
             ledger, received_at, next_attempt_at, finished_at, failure_reason, last_error)
           SELECT * FROM (
             SELECT m, x, ck, em, b, lo, pk, se, ki, q, rq, o, ts, pl, src, st, lg, ra, na, fa, fr, le
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
               $8::bool[], $9::text[], $10::float8[], $11::float8[], $12::text[], $13::text[], $14::text[],
               $15::text[], $16::text[], $17::bool[], $18::bigint[], $19::bigint[], $20::bigint[], $21::text[],
               $22::text[])
               WITH ORDINALITY AS u(m, x, ck, em, b, lo, pk, se, ki, q, rq, o, ts, pl, src, st, lg, ra, na, fa, fr, le, n)
             ORDER BY n
           ) AS ordered`,
          [
            col((r) => r.f.ev.messageId),
            col((r) => r.f.ev.externalId),
            col((r) => r.f.ev.customerKey),
            col((r) => r.f.ev.tx.email),
            col((r) => r.f.ev.tx.businessId),
            col((r) => r.f.ev.tx.locationId),
            col((r) => r.f.ev.tx.perkId),
            col((r) => r.f.ev.tx.sendEmail),
            col((r) => r.f.ev.tx.kind),
            col((r) => r.quantity),
            col((r) => (r.quantity === r.f.ev.tx.quantity ? null : r.f.ev.tx.quantity)),
            col((r) => r.f.ev.tx.orderId),
            col((r) => r.f.ev.tx.timestamp),
            col((r) => r.f.ev.payload),
            col((r) => r.f.ev.source),
            col((r) => (r.failure ? 'failed' : 'pending')),
            col((r) => r.ledger),
            col((r) => r.f.ev.receivedAt),
            col((r) => (r.failure ? null : ctx.now)),
            col((r) => (r.failure ? ctx.now : null)),
            col((r) => r.failure?.reason ?? null),
            col((r) => r.failure?.message ?? null),
          ],
        )
      }

      // A lane created above for a customer whose every event was held back has nothing to deliver.
      const queuedCustomers = new Set(rows.filter((r) => !r.failure).map((r) => r.f.ev.customerKey))
      const idle = [...createdLanes].filter((k) => !queuedCustomers.has(k))
      if (idle.length > 0) await c.query(`DELETE FROM lanes WHERE customer_key = ANY($1::text[])`, [idle])

      if (drops.size > 0) {
        const list = [...drops.values()].sort((a, b) => a.minute - b.minute || (a.code < b.code ? -1 : 1))
        await c.query(
          `INSERT INTO drop_counts (minute, code, count)
           SELECT m, k, n FROM unnest($1::bigint[], $2::text[], $3::bigint[]) AS u(m, k, n) ORDER BY m, k
           ON CONFLICT (minute, code) DO UPDATE SET count = drop_counts.count + excluded.count`,
          [list.map((d) => d.minute), list.map((d) => d.code), list.map((d) => d.count)],
        )
      }
      return out
    })
  }

  /**
   * Locks the ledger rows of these orders (creating empty ones, so a first award of an order on one
   * instance and a concurrent one on another meet on the same row), in key order.
   */
  private async lockLedgers(c: Client, txs: Transaction[], now: number): Promise<Map<string, LedgerState>> {
    const out = new Map<string, LedgerState>()
    const pairs = new Map<string, { o: string; p: string }>()
    for (const tx of txs)
      if (tx.orderId !== null) pairs.set(ledgerKey(tx.orderId, tx.perkId), { o: tx.orderId, p: tx.perkId })
    if (pairs.size === 0) return out
    const sorted = [...pairs.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v)
    const o = sorted.map((x) => x.o)
    const p = sorted.map((x) => x.p)
    await c.query(
      `INSERT INTO order_ledger (order_id, perk_id, awarded_cents, refunded_cents, updated_at)
       SELECT o, p, 0, 0, $3 FROM unnest($1::text[], $2::text[]) AS u(o, p) ORDER BY o, p
       ON CONFLICT (order_id, perk_id) DO NOTHING`,
      [o, p, now],
    )
    const res = await c.query<{
      order_id: string
      perk_id: string
      awarded_cents: number
      refunded_cents: number
    }>(
      `SELECT l.order_id, l.perk_id, l.awarded_cents, l.refunded_cents
       FROM order_ledger l JOIN unnest($1::text[], $2::text[]) AS u(o, p) ON l.order_id = u.o AND l.perk_id = u.p
       ORDER BY l.order_id, l.perk_id FOR UPDATE OF l`,
      [o, p],
    )
    for (const r of res.rows) {
      out.set(ledgerKey(r.order_id, r.perk_id), {
        awardedCents: r.awarded_cents,
        refundedCents: r.refunded_cents,
      })
    }
    return out
  }

  /** The head (oldest undelivered event) of each of these customers, or none. */
  private async heads(
    c: Client,
    customers: string[],
  ): Promise<Map<string, { status: EventStatus; next_attempt_at: number | null } | null>> {
    const res = await c.query<{
      lane_key: string
      seq: number | null
      status: EventStatus
      next_attempt_at: number | null
    }>(
      `SELECT k.lane_key, h.seq, h.status, h.next_attempt_at FROM unnest($1::text[]) AS k(lane_key)
       LEFT JOIN LATERAL (
         SELECT seq, status, next_attempt_at FROM events WHERE customer_key = k.lane_key AND ${ACTIVE}
         ORDER BY seq LIMIT 1
       ) h ON true`,
      [customers],
    )
    const out = new Map<string, { status: EventStatus; next_attempt_at: number | null } | null>()
    for (const r of res.rows) out.set(r.lane_key, r.seq === null ? null : r)
    return out
  }

  async claim(limit: number, now: number, leaseMs: number): Promise<ClaimedEvent[]> {
    if (limit <= 0) return []
    // One statement, so one round trip: lanes another instance is claiming or completing right now
    // are skipped (SKIP LOCKED), not waited for. A lane without a head goes; a lane whose head is not
    // due yet is re-aimed at it; a due head is leased, and its lane then waits for the lease's end.
    // A head still in flight on a due lane means its lease expired: its fate is unknown.
    const res = await this.statement<EventRow>(
      `WITH due AS (
         SELECT customer_key FROM lanes WHERE due_at <= $1 ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED
       ), heads AS (
         SELECT d.customer_key, h.seq, h.status, h.next_attempt_at, h.unknown,
           (h.seq IS NOT NULL AND (h.status = 'in_flight' OR COALESCE(h.next_attempt_at, 0) <= $1)) AS take
         FROM due d LEFT JOIN LATERAL (
           SELECT seq, status, next_attempt_at, unknown FROM events
           WHERE customer_key = d.customer_key AND ${ACTIVE} ORDER BY seq LIMIT 1
         ) h ON true
       ), emptied AS (
         DELETE FROM lanes WHERE customer_key IN (SELECT customer_key FROM heads WHERE seq IS NULL)
       ), aimed AS (
         UPDATE lanes l SET due_at = CASE WHEN h.take THEN $3::bigint ELSE h.next_attempt_at END
         FROM heads h WHERE l.customer_key = h.customer_key AND h.seq IS NOT NULL
       )
       UPDATE events e SET status = 'in_flight', lease_id = nextval('lease_ids'),
         unknown = (h.unknown OR h.status = 'in_flight')
       FROM heads h
       WHERE h.take AND e.seq = h.seq AND e.status IN ('pending', 'in_flight', 'retrying')
       RETURNING e.seq, e.message_id, e.external_id, e.email, e.business_id, e.location_id, e.perk_id, e.send_email,
         e.kind, e.quantity, e.order_id, e.event_timestamp, e.unknown, e.attempts, e.received_at, e.first_failed_at, e.lease_id`,
      [now, limit, now + leaseMs],
    )
    return res.rows.map((head) => ({
      id: String(head.seq),
      leaseId: head.lease_id!,
      externalId: head.external_id,
      tx: rowTransaction(head),
      receivedAt: head.received_at,
      attempts: head.attempts,
      unknown: head.unknown,
      firstFailedAt: head.first_failed_at,
    }))
  }

  /** One statement outside a transaction, run again when PostgreSQL broke a deadlock. */
  private async statement<R extends pg.QueryResultRow>(
    sql: string,
    args: unknown[],
  ): Promise<pg.QueryResult<R>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.query<R>(sql, args)
      } catch (err) {
        const code = (err as { code?: string }).code
        if (code !== undefined && RETRYABLE.has(code) && attempt < MAX_TX_TRIES) continue
        throw err
      }
    }
  }

  private async setLanes(c: Client, aim: Array<{ key: string; due: number }>): Promise<void> {
    if (aim.length === 0) return
    await c.query(
      `UPDATE lanes l SET due_at = u.due FROM unnest($1::text[], $2::bigint[]) AS u(k, due) WHERE l.customer_key = u.k`,
      [aim.map((a) => a.key), aim.map((a) => a.due)],
    )
  }

  /** Points each customer's lane at its new head, or removes it when nothing is left. */
  private async aimLanes(c: Client, customers: string[], now: number): Promise<void> {
    if (customers.length === 0) return
    const heads = await this.heads(c, customers)
    const empty: string[] = []
    const aim: Array<{ key: string; due: number }> = []
    for (const key of customers) {
      const head = heads.get(key) ?? null
      if (!head) empty.push(key)
      else if (head.status !== 'in_flight') aim.push({ key, due: head.next_attempt_at ?? now })
    }
    if (empty.length > 0) await c.query(`DELETE FROM lanes WHERE customer_key = ANY($1::text[])`, [empty])
    await this.setLanes(c, aim)
  }

  async complete(completions: Completion[], now: number): Promise<CompleteResult> {
    const seqs = [...new Set(completions.map((c) => toSeq(c.id)).filter((s): s is number => s !== null))]
    return this.tx(async (c) => {
      const log = completions.flatMap((comp) => {
        const seq = toSeq(comp.id)
        return seq === null ? [] : comp.log.map((a) => ({ seq, a }))
      })
      if (log.length > 0) {
        await c.query(
          `INSERT INTO attempts (event_seq, at, duration_ms, outcome, request, response, error)
           SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[])`,
          [
            log.map((l) => l.seq),
            log.map((l) => l.a.at),
            log.map((l) => Math.round(l.a.durationMs)),
            log.map((l) => l.a.outcome),
            log.map((l) => l.a.request),
            log.map((l) => l.a.response),
            log.map((l) => l.a.error),
          ],
        )
      }
      if (seqs.length === 0) return { applied: completions.map(() => false), cascadedFailures: 0 }
      // The owners' lanes first (the per-customer lock, in key order), then the events themselves.
      await c.query(
        `SELECT customer_key FROM lanes
         WHERE customer_key IN (SELECT customer_key FROM events WHERE seq = ANY($1::bigint[]))
         ORDER BY customer_key FOR UPDATE`,
        [seqs],
      )
      const locked = await c.query<EventRow>(
        `SELECT * FROM events WHERE seq = ANY($1::bigint[]) ORDER BY seq FOR UPDATE`,
        [seqs],
      )
      const rows = new Map(locked.rows.map((r) => [r.seq, r]))
      const affected = new Set<string>()
      const applied: boolean[] = []
      const done: Array<{ row: EventRow; comp: Completion }> = []
      for (const comp of completions) {
        const seq = toSeq(comp.id)
        const row = seq === null ? undefined : rows.get(seq)
        if (seq === null || row?.status !== 'in_flight' || row.lease_id !== comp.leaseId) {
          applied.push(false)
          continue
        }
        // A second completion of the same lease in this call finds it settled.
        rows.delete(seq)
        done.push({ row, comp })
        affected.add(row.customer_key)
        applied.push(true)
      }
      if (done.length > 0) await this.recordOutcomes(c, done)
      let cascaded = 0
      for (const { row, comp } of done) {
        if (comp.result.status === 'failed' && row.ledger) cascaded += await this.release(c, row, now)
      }
      await this.aimLanes(c, [...affected].sort(), now)
      return { applied, cascadedFailures: cascaded }
    })
  }

  /** Every outcome of one completion batch in one statement (the same columns the SQLite store sets per status). */
  private async recordOutcomes(c: Client, done: Array<{ row: EventRow; comp: Completion }>): Promise<void> {
    const col = <T>(pick: (comp: Completion) => T): T[] => done.map((d) => pick(d.comp))
    await c.query(
      `UPDATE events e SET
         status = CASE WHEN u.st <> 'released' THEN u.st
           WHEN e.attempts > 0 OR e.first_failed_at IS NOT NULL OR u.unk THEN 'retrying' ELSE 'pending' END,
         unknown = CASE u.st WHEN 'delivered' THEN false WHEN 'failed' THEN e.unknown ELSE u.unk END,
         lease_id = NULL,
         next_attempt_at = CASE WHEN u.st IN ('delivered', 'failed') THEN NULL ELSE u.next END,
         attempts = e.attempts + CASE WHEN u.st = 'released' THEN 0 ELSE u.made END,
         finished_at = CASE WHEN u.st IN ('delivered', 'failed') THEN u.at ELSE e.finished_at END,
         latency_ms = CASE WHEN u.st = 'delivered' THEN u.at - e.received_at ELSE e.latency_ms END,
         transaction_id = CASE WHEN u.st = 'delivered' THEN u.txid ELSE e.transaction_id END,
         failure_reason = CASE u.st WHEN 'delivered' THEN NULL WHEN 'failed' THEN u.reason ELSE e.failure_reason END,
         last_error = CASE WHEN u.st IN ('failed', 'retrying') THEN u.err ELSE e.last_error END,
         first_failed_at = CASE WHEN u.st = 'retrying' THEN u.ff ELSE e.first_failed_at END
       FROM unnest($1::bigint[], $2::text[], $3::bool[], $4::bigint[], $5::int[], $6::bigint[], $7::text[],
         $8::text[], $9::text[], $10::bigint[]) AS u(seq, st, unk, next, made, at, txid, reason, err, ff)
       WHERE e.seq = u.seq`,
      [
        done.map((d) => d.row.seq),
        col((x) => x.result.status),
        col((x) => ('unknown' in x.result ? x.result.unknown : false)),
        col((x) => ('nextAttemptAt' in x.result ? x.result.nextAttemptAt : null)),
        col((x) => x.attemptsMade),
        col((x) => ('at' in x.result ? x.result.at : null)),
        col((x) => (x.result.status === 'delivered' ? x.result.transactionId : null)),
        col((x) => (x.result.status === 'failed' ? x.result.reason : null)),
        col((x) => ('error' in x.result ? x.result.error : null)),
        col((x) => (x.result.status === 'retrying' ? x.result.firstFailedAt : null)),
      ],
    )
  }

  /**
   * A failed event gives back what it reserved in its order's ledger. When an award goes, queued
   * refunds that it covered go too (newest first), so a refund never removes points that were
   * never given.
   */
  private async release(c: Client, row: EventRow, now: number): Promise<number> {
    if (row.order_id === null) return 0
    await c.query(`UPDATE events SET ledger = false WHERE seq = $1`, [row.seq])
    const res = await c.query<{ awarded_cents: number; refunded_cents: number }>(
      `SELECT awarded_cents, refunded_cents FROM order_ledger WHERE order_id = $1 AND perk_id = $2 FOR UPDATE`,
      [row.order_id, row.perk_id],
    )
    const ledger = res.rows[0]
    if (!ledger) return 0
    let cascaded = 0
    let awarded = ledger.awarded_cents
    let refunded = ledger.refunded_cents
    if (row.kind === 'refund') refunded = Math.max(0, refunded - toCents(row.quantity))
    else awarded = Math.max(0, awarded - toCents(row.quantity))
    if (refunded > awarded) {
      const refunds = await c.query<{ seq: number; quantity: number }>(
        `SELECT seq, quantity FROM events WHERE order_id = $1 AND perk_id = $2 AND kind = 'refund' AND ledger
           AND status IN ('pending', 'retrying') ORDER BY seq DESC FOR UPDATE`,
        [row.order_id, row.perk_id],
      )
      const doomed: number[] = []
      for (const refund of refunds.rows) {
        if (refunded <= awarded) break
        doomed.push(refund.seq)
        refunded = Math.max(0, refunded - toCents(refund.quantity))
      }
      if (doomed.length > 0) {
        await c.query(
          `UPDATE events SET status = 'failed', ledger = false, next_attempt_at = NULL, finished_at = $1,
             failure_reason = 'refund_exceeds_order', last_error = $2 WHERE seq = ANY($3::bigint[])`,
          [now, `the award of order ${row.order_id} failed, so this refund has nothing to remove`, doomed],
        )
        cascaded = doomed.length
      }
    }
    await c.query(
      `UPDATE order_ledger SET awarded_cents = $3, refunded_cents = $4, updated_at = $5
       WHERE order_id = $1 AND perk_id = $2`,
      [row.order_id, row.perk_id, awarded, refunded, now],
    )
    return cascaded
  }

  async nextDueAt(): Promise<number | null> {
    const res = await this.query<{ due: number | null }>(`SELECT MIN(due_at) AS due FROM lanes`)
    return res.rows[0]?.due ?? null
  }

  /**
   * Several live instances share this database, so only work whose lease has expired is taken
   * back (a live instance's leases are left alone); it is marked unknown and settled before any resend.
   */
  async recoverAbandoned(now: number): Promise<number> {
    return this.tx(async (c) => {
      const lanes = await c.query<{ customer_key: string }>(
        `SELECT customer_key FROM lanes WHERE due_at <= $1 ORDER BY customer_key FOR UPDATE SKIP LOCKED`,
        [now],
      )
      if (lanes.rows.length === 0) return 0
      const keys = lanes.rows.map((r) => r.customer_key)
      const res = await c.query(
        `UPDATE events SET status = 'retrying', unknown = true, lease_id = NULL, next_attempt_at = $1
         WHERE customer_key = ANY($2::text[]) AND ${ACTIVE} AND status = 'in_flight'`,
        [now, keys],
      )
      await this.aimLanes(c, keys, now)
      return res.rowCount ?? 0
    })
  }

  async retry(id: string, now: number): Promise<boolean> {
    const seq = toSeq(id)
    if (seq === null) return false
    return this.tx((c) => this.requeueOne(c, seq, now))
  }

  private async requeueOne(c: Client, seq: number, now: number): Promise<boolean> {
    const peek = await c.query<{ customer_key: string; status: string }>(
      `SELECT customer_key, status FROM events WHERE seq = $1`,
      [seq],
    )
    const owner = peek.rows[0]
    if (owner?.status !== 'failed') return false
    // The lane first (same lock order as completions), then the event, re-checked under the lock.
    const lane = await c.query<{ created: boolean }>(
      `INSERT INTO lanes (customer_key, due_at) VALUES ($1, $2)
       ON CONFLICT (customer_key) DO UPDATE SET due_at = lanes.due_at RETURNING (xmax = 0) AS created`,
      [owner.customer_key, now],
    )
    const locked = await c.query<EventRow>(`SELECT * FROM events WHERE seq = $1 FOR UPDATE`, [seq])
    const row = locked.rows[0]
    if (row?.status !== 'failed') {
      if (lane.rows[0]?.created) await this.aimLanes(c, [owner.customer_key], now)
      return false
    }
    await c.query(
      `UPDATE events SET status = 'retrying', next_attempt_at = $1, failure_reason = NULL, finished_at = NULL,
         first_failed_at = NULL WHERE seq = $2`,
      [now, seq],
    )
    // An operator's explicit retry is sent as is; it takes its share of the order ledger again.
    if (row.order_id !== null && row.kind !== 'event' && !row.ledger) {
      const ledgers = await this.lockLedgers(c, [rowTransaction(row)], now)
      const state = ledgers.get(ledgerKey(row.order_id, row.perk_id)) ?? { awardedCents: 0, refundedCents: 0 }
      const cents = toCents(row.quantity)
      await c.query(
        `UPDATE order_ledger SET awarded_cents = $3, refunded_cents = $4, updated_at = $5
         WHERE order_id = $1 AND perk_id = $2`,
        [
          row.order_id,
          row.perk_id,
          state.awardedCents + (row.kind === 'spend' ? cents : 0),
          state.refundedCents + (row.kind === 'refund' ? cents : 0),
          now,
        ],
      )
      await c.query(`UPDATE events SET ledger = true WHERE seq = $1`, [seq])
    }
    // The re-queued event may now be its customer's head; a lane waiting on a later retry is re-aimed.
    // A lane whose customer has an event in flight keeps its lease: that completion re-aims it.
    const busy = await c.query(
      `SELECT 1 FROM events WHERE customer_key = $1 AND ${ACTIVE} AND status = 'in_flight' LIMIT 1`,
      [row.customer_key],
    )
    if (busy.rows.length === 0) await this.setLanes(c, [{ key: row.customer_key, due: now }])
    return true
  }

  async replayFailed(
    range: { from: number; to: number; reasons: string[] | null; excludeReasons: string[] },
    now: number,
  ): Promise<number> {
    let after = 0
    let n = 0
    for (;;) {
      const res = await this.query<{ seq: number; failure_reason: string | null }>(
        `SELECT seq, failure_reason FROM events
         WHERE status = 'failed' AND seq > $1 AND received_at >= $2 AND received_at < $3 ORDER BY seq LIMIT ${PAGE}`,
        [after, range.from, range.to],
      )
      const rows = res.rows
      if (rows.length === 0) break
      after = rows[rows.length - 1]!.seq
      const picked = rows.filter((r) => {
        const reason = r.failure_reason ?? ''
        return range.reasons !== null
          ? range.reasons.includes(reason)
          : !range.excludeReasons.includes(reason)
      })
      n += await this.tx(async (c) => {
        let done = 0
        for (const r of picked) if (await this.requeueOne(c, r.seq, now)) done++
        return done
      })
      if (rows.length < PAGE) break
    }
    return n
  }

  async getEvent(id: string): Promise<StoredEvent | null> {
    const seq = toSeq(id)
    if (seq === null) return null
    const res = await this.query<EventRow>(`SELECT * FROM events WHERE seq = $1`, [seq])
    const row = res.rows[0]
    if (!row) return null
    const attempts = await this.query<AttemptDbRow>(
      `SELECT * FROM attempts WHERE event_seq = $1 ORDER BY id`,
      [seq],
    )
    return toStored(row, attempts.rows.map(toAttempt))
  }

  async listEvents(f: EventFilter): Promise<StoredEvent[]> {
    const where: string[] = []
    const args: unknown[] = []
    const arg = (v: unknown) => {
      args.push(v)
      return `$${args.length}`
    }
    if (f.status !== undefined) where.push(`status = ${arg(f.status)}`)
    if (f.customerKey !== undefined) where.push(`customer_key = ${arg(f.customerKey)}`)
    if (f.messageId !== undefined) {
      // The external id is the messageId whenever there is one, and it is indexed.
      const m = arg(f.messageId)
      where.push(`external_id = ${m} AND message_id = ${m}`)
    }
    if (f.orderId !== undefined) where.push(`order_id = ${arg(f.orderId)}`)
    if (f.from !== undefined) where.push(`received_at >= ${arg(f.from)}`)
    if (f.to !== undefined) where.push(`received_at < ${arg(f.to)}`)
    if (f.beforeId !== undefined) {
      const before = toSeq(f.beforeId)
      if (before === null) return []
      where.push(`seq < ${arg(before)}`)
    }
    const sql = `SELECT * FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ${arg(f.limit)}`
    const res = await this.query<EventRow>(sql, args)
    if (res.rows.length === 0) return []
    const attempts = await this.query<AttemptDbRow>(
      `SELECT * FROM attempts WHERE event_seq = ANY($1::bigint[]) ORDER BY id`,
      [res.rows.map((r) => r.seq)],
    )
    const bySeq = new Map<number, AttemptRow[]>()
    for (const a of attempts.rows) {
      const list = bySeq.get(a.event_seq) ?? []
      list.push(toAttempt(a))
      bySeq.set(a.event_seq, list)
    }
    return res.rows.map((r) => toStored(r, bySeq.get(r.seq) ?? []))
  }

  async *scanForStats(from: number, to: number): AsyncIterable<StatsRow[]> {
    let lastAt = from - 1
    let lastSeq = Number.MAX_SAFE_INTEGER
    for (;;) {
      if (this.closed) return
      const res = await this.query<{
        seq: number
        received_at: number
        status: EventStatus
        latency_ms: number | null
        failure_reason: string | null
        has_error: boolean
      }>(
        `SELECT seq, received_at, status, latency_ms, failure_reason, last_error IS NOT NULL AS has_error
         FROM events WHERE received_at < $1 AND (received_at, seq) > ($2, $3)
         ORDER BY received_at, seq LIMIT ${STATS_CHUNK}`,
        [to, lastAt, lastSeq],
      )
      const rows = res.rows
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
        hasError: r.has_error,
      }))
      if (rows.length < STATS_CHUNK) return
    }
  }

  async dropCounts(from: number, to: number): Promise<DropCount[]> {
    // Minute granularity: every minute that overlaps the range counts.
    const res = await this.query<DropCount>(
      `SELECT minute, code, count FROM drop_counts WHERE minute >= $1 AND minute < $2`,
      [Math.floor(from / 60_000), Math.ceil(to / 60_000)],
    )
    return res.rows
  }

  async lastErrors(ids: string[]): Promise<Map<string, string | null>> {
    const out = new Map<string, string | null>()
    for (const id of ids) out.set(id, null)
    const seqs = ids.map(toSeq).filter((s): s is number => s !== null)
    if (seqs.length === 0) return out
    const res = await this.query<{ seq: number; last_error: string | null }>(
      `SELECT seq, last_error FROM events WHERE seq = ANY($1::bigint[])`,
      [seqs],
    )
    const bySeq = new Map(res.rows.map((r) => [r.seq, r.last_error]))
    for (const id of ids) out.set(id, bySeq.get(Number(id)) ?? null)
    return out
  }

  async dropTotals(): Promise<Record<string, number>> {
    const res = await this.query<{ code: string; n: number }>(
      `SELECT code, SUM(count)::bigint AS n FROM drop_counts GROUP BY code`,
    )
    const out: Record<string, number> = {}
    for (const r of res.rows) out[r.code] = r.n
    return out
  }

  async queueDepth(): Promise<number> {
    const res = await this.query<{ n: number }>(`SELECT COUNT(*) AS n FROM events WHERE ${ACTIVE}`)
    return res.rows[0]?.n ?? 0
  }

  async prune(deliveredBefore: number, ledgerBefore: number): Promise<PruneResult> {
    let events = 0
    for (;;) {
      // SKIP LOCKED: another instance pruning at the same time takes other rows instead of waiting.
      const n = await this.tx(async (c) => {
        const res = await c.query(
          `WITH doomed AS (
             SELECT seq FROM events WHERE received_at < $1 AND status IN ('delivered', 'failed')
             LIMIT ${PAGE} FOR UPDATE SKIP LOCKED
           ), gone AS (
             DELETE FROM attempts WHERE event_seq IN (SELECT seq FROM doomed)
           )
           DELETE FROM events WHERE seq IN (SELECT seq FROM doomed)`,
          [deliveredBefore],
        )
        return res.rowCount ?? 0
      })
      events += n
      if (n < PAGE) break
    }
    await this.query(`DELETE FROM dedup WHERE received_at < $1`, [deliveredBefore])
    await this.query(`DELETE FROM order_ledger WHERE updated_at < $1`, [ledgerBefore])
    await this.query(`DELETE FROM drop_counts WHERE minute < $1`, [Math.floor(deliveredBefore / 60_000)])
    return { events }
  }

  async bindSignedBody(messageId: string, digest: string, now: number, forgetBefore: number) {
    return this.tx(async (c) => {
      await c.query('DELETE FROM signed_bodies WHERE at < $1', [forgetBefore])
      await c.query('INSERT INTO signed_bodies VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
        messageId,
        digest,
        now,
      ])
      const res = await c.query('SELECT body_digest FROM signed_bodies WHERE message_id = $1', [messageId])
      return res.rows[0]?.body_digest === digest
    })
  }

  /** PostgreSQL's writes fail when it is unreachable, which is what a round trip tells. */
  probeWrite(): Promise<boolean> {
    return this.ping()
  }

  async ping(): Promise<boolean> {
    if (this.closed) return false
    try {
      await this.pool.query('SELECT 1')
      return true
    } catch {
      return false
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.pool.end()
  }

  private query<R extends pg.QueryResultRow>(sql: string, args: unknown[] = []): Promise<pg.QueryResult<R>> {
    if (this.closed) return Promise.reject(new Error('storage is closed'))
    return this.pool.query<R>(sql, args)
  }
}

/**
 * PostgreSQL text cannot hold U+0000, which JSON strings may carry (a messageId, an order id): left
 * in, one such event would fail the whole group commit. It becomes U+FFFD, consistently for
 * storage, dedup and the external id sent.
 */
function textSafe(ev: NewEvent): NewEvent {
  const fields = [
    ev.messageId,
    ev.externalId,
    ev.dedupKey,
    ev.customerKey,
    ev.source,
    ...Object.values(ev.tx),
  ]
  if (!fields.some((v) => typeof v === 'string' && v.includes('\u0000'))) return ev
  const clean = <T>(v: T): T => (typeof v === 'string' ? (v.replaceAll('\u0000', '\uFFFD') as T) : v)
  const tx = Object.fromEntries(Object.entries(ev.tx).map(([k, v]) => [k, clean(v)])) as Transaction
  return {
    ...ev,
    messageId: clean(ev.messageId),
    externalId: clean(ev.externalId),
    dedupKey: clean(ev.dedupKey),
    customerKey: clean(ev.customerKey),
    payload: clean(ev.payload),
    source: clean(ev.source),
    tx,
  }
}
