import { inOrderLedger, releaseShare } from '../../order-ledger.js'
import { redecideSql, redecideValues } from '../event-columns.js'
import {
  acceptDecision,
  decisionTx,
  type EventRow,
  ledgerEvent,
  rowTransaction,
  toSeq,
} from '../event-rows.js'
import { applyOrderRule } from '../order-step.js'
import type { AcceptContext, RedecideResult, Redecision } from '../storage.js'
import type { PgDb } from './db.js'
import { aimLanes } from './lanes.js'
import { lockLedgers } from './ledgers.js'

type Row = EventRow<boolean>

/**
 * A leased event decided again under newer settings (see the SQLite module of the same name): the
 * old order-ledger share is given back, the order rules run on the new transaction, and the
 * decision joins the event's record. Locks in the order completions take them: lane, event, ledgers.
 */
export async function redecide(
  db: PgDb,
  r: Redecision,
  ctx: Omit<AcceptContext, 'dedupSince'>,
): Promise<RedecideResult> {
  const seq = toSeq(r.id)
  if (seq === null) return { kind: 'lost' }
  return db.tx(async (c) => {
    await c.query(
      `SELECT customer_key FROM lanes WHERE customer_key = (SELECT customer_key FROM events WHERE seq = $1) FOR UPDATE`,
      [seq],
    )
    const locked = await c.query<Row>(`SELECT * FROM events WHERE seq = $1 FOR UPDATE`, [seq])
    const row = locked.rows[0]
    // The lease must still be this one (leases table, migration 000010).
    const lease = await c.query(`SELECT 1 FROM leases WHERE seq = $1 AND lease_id = $2 FOR UPDATE`, [
      seq,
      r.leaseId,
    ])
    if (!row || lease.rows.length === 0) return { kind: 'lost' }
    // Its first decision lived in its row, which is about to change: it becomes a row first.
    const first = acceptDecision(row)
    await c.query(
      `INSERT INTO event_decisions (event_seq, at, settings_version, outcome, code, message, tx)
       SELECT $1::bigint, $2::bigint, $3::bigint, $4, $5, $6, $7
       WHERE NOT EXISTS (SELECT 1 FROM event_decisions WHERE event_seq = $1)`,
      [seq, first.at, first.settingsVersion, first.outcome, first.code, first.message, first.transaction],
    )
    const v = r.verdict
    const old = rowTransaction(row)
    const touched = [...(row.ledger ? [old] : []), ...(v.outcome === 'queue' ? [v.tx] : [])]
    const ledgers = await lockLedgers(c, touched.filter(inOrderLedger), ctx.now)
    if (row.ledger && row.order_id !== null) {
      const held = ledgers.get(row.order_id, row.perk_id)
      if (held) ledgers.put(row.order_id, row.perk_id, releaseShare(held, ledgerEvent(row)))
    }
    const decided = (outcome: string, code: string | null, message: string | null, tx: string | null) =>
      c.query(
        `INSERT INTO event_decisions (event_seq, at, settings_version, outcome, code, message, tx)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [seq, r.at, r.settingsVersion, outcome, code, message, tx],
      )
    const leave = async (result: RedecideResult): Promise<RedecideResult> => {
      await c.query(`DELETE FROM leases WHERE seq = $1`, [seq])
      await ledgers.flush(c, ctx.now)
      await aimLanes(c, [row.customer_key], ctx.now)
      return result
    }
    if (v.outcome !== 'queue') {
      // It keeps the version its stored transaction was decided under (see the SQLite module).
      await c.query(
        `UPDATE events SET status = 'parked', next_attempt_at = NULL, unknown = false,
           ledger = false, failure_reason = $1, last_error = $2 WHERE seq = $3`,
        [v.parkReason, v.parkError, seq],
      )
      await decided(v.outcome, v.code, v.message, null)
      return leave({ kind: 'parked' })
    }
    const step = applyOrderRule(ctx.orderRule, v.tx, ledgers.of(v.tx))
    if (step.failure) {
      const { reason, message } = step.failure
      await c.query(
        `UPDATE events SET status = 'failed', next_attempt_at = NULL, ledger = false,
           settings_version = $1, finished_at = $2, failure_reason = $3, last_error = $4 WHERE seq = $5`,
        [r.settingsVersion, ctx.now, reason, message, seq],
      )
      await decided('fail', reason, message, decisionTx(step.tx))
      return leave({ kind: 'failed', reason })
    }
    if (step.ledger) ledgers.put(step.ledger.orderId, step.ledger.perkId, step.ledger.state)
    await c.query(
      redecideSql('postgres'),
      redecideValues('postgres', { step, settingsVersion: r.settingsVersion }, seq),
    )
    await decided('queue', null, null, decisionTx(step.tx))
    await ledgers.flush(c, ctx.now)
    return { kind: 'send', tx: step.tx }
  })
}
