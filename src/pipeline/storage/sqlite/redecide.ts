import type Database from 'better-sqlite3'
import { releaseShare } from '../../order-ledger.js'
import { redecideSql, redecideValues } from '../event-columns.js'
import { acceptDecision, decisionTx, ledgerEvent, toSeq } from '../event-rows.js'
import { applyOrderRule } from '../order-step.js'
import type { AcceptContext, RedecideResult, Redecision } from '../storage.js'
import type { Lanes } from './lanes.js'
import type { Ledgers } from './ledgers.js'

/**
 * A leased event decided again under newer settings: its old order-ledger share is given back, the
 * order rules run on the new transaction as at accept, and the decision joins the event's record.
 * The external id stays: an earlier attempt that did land is still found by it.
 */
export function redecideOp(
  db: Database.Database,
  lanes: Lanes,
  ledgers: Ledgers,
): (r: Redecision, ctx: Omit<AcceptContext, 'dedupSince'>) => RedecideResult {
  const decided = db.prepare(
    `INSERT INTO event_decisions (event_seq, at, settings_version, outcome, code, message, tx) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  )
  const hasDecisions = db.prepare(`SELECT 1 FROM event_decisions WHERE event_seq = ? LIMIT 1`).pluck()
  const setTx = db.prepare(redecideSql('sqlite'))
  const park = db.prepare(
    `UPDATE events SET status = 'parked', lease_id = NULL, next_attempt_at = NULL, unknown = 0, ledger = 0,
       failure_reason = ?, last_error = ? WHERE seq = ?`,
  )
  const fail = db.prepare(
    `UPDATE events SET status = 'failed', lease_id = NULL, next_attempt_at = NULL, ledger = 0,
       settings_version = ?, finished_at = ?, failure_reason = ?, last_error = ? WHERE seq = ?`,
  )

  return db.transaction((r: Redecision, ctx: Omit<AcceptContext, 'dedupSince'>): RedecideResult => {
    const seq = toSeq(r.id)
    const row = seq === null ? undefined : lanes.event(seq)
    if (seq === null || row?.status !== 'in_flight' || row.lease_id !== r.leaseId) return { kind: 'lost' }
    if (row.ledger === 1 && row.order_id !== null) {
      const held = ledgers.get(row.order_id, row.perk_id)
      if (held) ledgers.put(row.order_id, row.perk_id, releaseShare(held, ledgerEvent(row)), ctx.now)
    }
    if (hasDecisions.get(seq) === undefined) {
      // Its first decision lived in its row, which is about to change: it becomes a row first.
      const first = acceptDecision(row)
      decided.run(
        seq,
        first.at,
        first.settingsVersion,
        first.outcome,
        first.code,
        first.message,
        first.transaction,
      )
    }
    const v = r.verdict
    if (v.outcome !== 'queue') {
      // It keeps the version its stored transaction was decided under, so a later settings version, a
      // retry or a release decides it again rather than sending that transaction.
      park.run(v.parkReason, v.parkError, seq)
      decided.run(seq, r.at, r.settingsVersion, v.outcome, v.code, v.message, null)
      lanes.aim(row.customer_key, ctx.now)
      return { kind: 'parked' }
    }
    const step = applyOrderRule(ctx.orderRule, v.tx, ledgers.of(v.tx))
    if (step.failure) {
      const { reason, message } = step.failure
      fail.run(r.settingsVersion, ctx.now, reason, message, seq)
      decided.run(seq, r.at, r.settingsVersion, 'fail', reason, message, decisionTx(step.tx))
      lanes.aim(row.customer_key, ctx.now)
      return { kind: 'failed', reason }
    }
    if (step.ledger) ledgers.put(step.ledger.orderId, step.ledger.perkId, step.ledger.state, ctx.now)
    setTx.run(...redecideValues('sqlite', { step, settingsVersion: r.settingsVersion }, seq))
    decided.run(seq, r.at, r.settingsVersion, 'queue', null, null, decisionTx(step.tx))
    return { kind: 'send', tx: step.tx }
  })
}
