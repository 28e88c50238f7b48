import { cancelledRefund, refundsExceedAwards, refundsToCancel, releaseShare } from '../../order-ledger.js'
import { type EventRow, ledgerEvent, toSeq } from '../event-rows.js'
import type { CompleteResult, Completion } from '../storage.js'
import type { Client, PgDb } from './db.js'
import { aimLanes, sortedUnique } from './lanes.js'
import { writeLedgers } from './ledgers.js'

type Row = EventRow<boolean>

/** Records outcomes; a completion whose lease was lost is ignored. */
export async function complete(db: PgDb, completions: Completion[], now: number): Promise<CompleteResult> {
  // The first completion of each lease counts; a second one of the same lease in this call finds it settled.
  const firsts = new Map<string, { seq: number; comp: Completion }>()
  for (const comp of completions) {
    const seq = toSeq(comp.id)
    const key = `${comp.id}:${comp.leaseId}`
    if (seq !== null && !firsts.has(key)) firsts.set(key, { seq, comp })
  }
  const seqs = [...new Set([...firsts.values()].map((f) => f.seq))]
  return db.tx(async (c) => {
    const log = completions.flatMap((comp) => {
      const seq = toSeq(comp.id)
      return seq === null ? [] : comp.log.map((a) => ({ seq, a }))
    })
    if (log.length > 0) {
      await c.query(
        `INSERT INTO attempts (event_seq, at, duration_ms, outcome, request, response, error)
         SELECT s, at, d, o, rq, rs, e
         FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[])
           AS u(s, at, d, o, rq, rs, e)`,
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
    // The owners' lanes first (the per-customer lock, in key order); the events are then locked by
    // the update itself, which only touches those still leased under the completing lease.
    await c.query(
      `SELECT customer_key FROM lanes
       WHERE customer_key IN (SELECT customer_key FROM events WHERE seq = ANY($1::bigint[]))
       ORDER BY customer_key FOR UPDATE`,
      [seqs],
    )
    const list = [...firsts.values()]
    const recorded = await recordOutcomes(c, list)
    const done = new Map(recorded.map((r) => [`${r.seq}:${r.lease}`, r]))
    const applied = completions.map((comp) => {
      const key = `${comp.id}:${comp.leaseId}`
      const applies = firsts.get(key)?.comp === comp && done.has(key)
      return applies
    })
    let cascaded = 0
    for (const { comp } of list) {
      const row = done.get(`${comp.id}:${comp.leaseId}`)
      const finishedUnsent = comp.result.status === 'failed' || comp.result.status === 'skipped'
      if (row && finishedUnsent && row.ledger) cascaded += await release(c, row, now)
    }
    await aimLanes(c, sortedUnique(recorded.map((r) => r.customer_key)), now)
    return { applied, cascadedFailures: cascaded }
  })
}

/** What release() and the lanes need of an event whose outcome was recorded. */
type Recorded = Pick<
  Row,
  'seq' | 'customer_key' | 'ledger' | 'order_id' | 'perk_id' | 'kind' | 'quantity'
> & {
  lease: number
}

/**
 * Every outcome of one completion batch in one statement (the same columns the SQLite store sets per
 * status), applied only where the event is still in flight under the completing lease: the rows
 * returned are the outcomes that counted.
 */
async function recordOutcomes(
  c: Client,
  list: Array<{ seq: number; comp: Completion }>,
): Promise<Recorded[]> {
  const col = <T>(pick: (comp: Completion) => T): T[] => list.map((d) => pick(d.comp))
  const res = await c.query<Recorded>(
    `UPDATE events e SET
       status = CASE WHEN u.st <> 'released' THEN u.st
         WHEN e.attempts > 0 OR e.first_failed_at IS NOT NULL OR u.unk THEN 'retrying' ELSE 'pending' END,
       unknown = CASE u.st WHEN 'delivered' THEN false WHEN 'skipped' THEN false WHEN 'failed' THEN e.unknown
         ELSE u.unk END,
       lease_id = NULL,
       next_attempt_at = CASE WHEN u.st IN ('delivered', 'failed', 'parked', 'skipped') THEN NULL ELSE u.next END,
       attempts = e.attempts + CASE WHEN u.st = 'released' THEN 0 ELSE u.made END,
       finished_at = CASE WHEN u.st IN ('delivered', 'failed', 'skipped') THEN u.at ELSE e.finished_at END,
       latency_ms = CASE WHEN u.st = 'delivered' THEN u.at - e.received_at ELSE e.latency_ms END,
       transaction_id = CASE WHEN u.st = 'delivered' THEN u.txid ELSE e.transaction_id END,
       failure_reason = CASE WHEN u.st = 'delivered' THEN NULL WHEN u.st IN ('failed', 'parked', 'skipped') THEN u.reason
         ELSE e.failure_reason END,
       last_error = CASE WHEN u.st IN ('failed', 'retrying', 'parked', 'skipped') THEN u.err ELSE e.last_error END,
       first_failed_at = CASE WHEN u.st = 'retrying' THEN u.ff ELSE e.first_failed_at END
     FROM unnest($1::bigint[], $2::text[], $3::bool[], $4::bigint[], $5::int[], $6::bigint[], $7::text[],
       $8::text[], $9::text[], $10::bigint[], $11::bigint[])
       AS u(seq, st, unk, next, made, at, txid, reason, err, ff, lease)
     WHERE e.seq = u.seq AND e.status = 'in_flight' AND e.lease_id = u.lease
     RETURNING e.seq, u.lease, e.customer_key, e.ledger, e.order_id, e.perk_id, e.kind, e.quantity`,
    [
      list.map((d) => d.seq),
      col((x) => x.result.status),
      col((x) => ('unknown' in x.result ? x.result.unknown === true : false)),
      col((x) => ('nextAttemptAt' in x.result ? x.result.nextAttemptAt : null)),
      col((x) => x.attemptsMade),
      col((x) => ('at' in x.result ? x.result.at : null)),
      col((x) => (x.result.status === 'delivered' ? x.result.transactionId : null)),
      col((x) => ('reason' in x.result ? x.result.reason : null)),
      col((x) => ('error' in x.result ? x.result.error : null)),
      col((x) => (x.result.status === 'retrying' ? x.result.firstFailedAt : null)),
      col((x) => x.leaseId),
    ],
  )
  return res.rows
}

/**
 * A failed (or skipped) event gives back what it reserved in its order's ledger. When an award goes, queued
 * refunds that it covered go too (newest first), so a refund never removes points that were
 * never given.
 */
async function release(c: Client, row: Recorded, now: number): Promise<number> {
  if (row.order_id === null) return 0
  await c.query(`UPDATE events SET ledger = false WHERE seq = $1`, [row.seq])
  const res = await c.query<{ awarded_cents: number; refunded_cents: number }>(
    `SELECT awarded_cents, refunded_cents FROM order_ledger WHERE order_id = $1 AND perk_id = $2 FOR UPDATE`,
    [row.order_id, row.perk_id],
  )
  const held = res.rows[0]
  if (!held) return 0
  let ledger = releaseShare(
    { awardedCents: held.awarded_cents, refundedCents: held.refunded_cents },
    ledgerEvent(row),
  )
  let cancel: Array<{ seq: number; quantity: number }> = []
  if (refundsExceedAwards(ledger)) {
    const refunds = await c.query<{ seq: number; quantity: number }>(
      `SELECT seq, quantity FROM events WHERE order_id = $1 AND perk_id = $2 AND kind = 'refund' AND ledger
         AND status IN ('pending', 'retrying') ORDER BY seq DESC FOR UPDATE`,
      [row.order_id, row.perk_id],
    )
    ;({ ledger, cancel } = refundsToCancel(ledger, refunds.rows))
    if (cancel.length > 0) {
      const why = cancelledRefund(row.order_id)
      await c.query(
        `UPDATE events SET status = 'failed', ledger = false, next_attempt_at = NULL, finished_at = $1,
           failure_reason = $2, last_error = $3 WHERE seq = ANY($4::bigint[])`,
        [now, why.reason, why.message, cancel.map((r) => r.seq)],
      )
    }
  }
  await writeLedgers(c, [{ orderId: row.order_id, perkId: row.perk_id, state: ledger }], now)
  return cancel.length
}
