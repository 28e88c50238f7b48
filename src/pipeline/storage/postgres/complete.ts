import { cancelledRefund, refundsExceedAwards, refundsToCancel, releaseShare } from '../../order-ledger.js'
import { givesBackShare, PG_COMPLETE_EVENTS, pgCompletionArrays } from '../completion-sets.js'
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
       WHERE customer_key = ANY(ARRAY(SELECT customer_key FROM events WHERE seq = ANY($1::bigint[])))
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
      if (row && givesBackShare(comp.result) && row.ledger) cascaded += await release(c, row, now)
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
 * Every outcome of one completion batch in one statement (completion-sets.ts), applied only where the
 * event is still in flight under the completing lease: the rows returned are the outcomes that counted.
 */
async function recordOutcomes(
  c: Client,
  list: Array<{ seq: number; comp: Completion }>,
): Promise<Recorded[]> {
  const res = await c.query<Recorded>(
    `${PG_COMPLETE_EVENTS}
     RETURNING e.seq, u.lease, e.customer_key, e.ledger, e.order_id, e.perk_id, e.kind, e.quantity`,
    pgCompletionArrays(list),
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
