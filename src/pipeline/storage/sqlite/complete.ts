import type Database from 'better-sqlite3'
import { cancelledRefund, refundsExceedAwards, refundsToCancel, releaseShare } from '../../order-ledger.js'
import { givesBackShare, OUTCOMES, sqliteCompletionSql, sqliteCompletionValues } from '../completion-sets.js'
import { ledgerEvent } from '../event-rows.js'
import type { CompleteResult, Completion } from '../storage.js'
import type { Lanes, SqliteRow } from './lanes.js'
import type { Ledgers } from './ledgers.js'

/** Records outcomes; a completion whose lease was lost is ignored. */
export function completeOp(
  db: Database.Database,
  lanes: Lanes,
  ledgers: Ledgers,
): (completions: Completion[], now: number) => CompleteResult {
  const p = (sql: string) => db.prepare(sql)
  const attemptAdd = p(
    `INSERT INTO attempts (event_seq, at, duration_ms, outcome, request, response, error) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  )
  const outcomes = new Map(
    OUTCOMES.map((o) => {
      const { sql, inputs } = sqliteCompletionSql(o)
      const stmt = p(sql)
      return [o, (c: Completion, seq: number) => stmt.run(...sqliteCompletionValues(inputs, c, seq))]
    }),
  )
  const queuedRefunds = p(
    `SELECT seq, quantity FROM events WHERE order_id = ? AND perk_id = ? AND kind = 'refund' AND ledger = 1
       AND status IN ('pending', 'retrying') ORDER BY seq DESC`,
  )
  const failQueued = p(
    `UPDATE events SET status = 'failed', ledger = 0, next_attempt_at = NULL, finished_at = ?,
       failure_reason = ?, last_error = ? WHERE seq = ?`,
  )
  const unreserve = p(`UPDATE events SET ledger = 0 WHERE seq = ?`)

  /** A failed (or skipped) event gives back its share of its order; returns how many queued refunds went with it. */
  const release = (row: SqliteRow, now: number): number => {
    if (row.order_id === null) return 0
    unreserve.run(row.seq)
    const held = ledgers.get(row.order_id, row.perk_id)
    if (!held) return 0
    let ledger = releaseShare(held, ledgerEvent(row))
    let cancel: Array<{ seq: number; quantity: number }> = []
    if (refundsExceedAwards(ledger)) {
      const queued = queuedRefunds.all(row.order_id, row.perk_id) as Array<{ seq: number; quantity: number }>
      ;({ ledger, cancel } = refundsToCancel(ledger, queued))
      const why = cancelledRefund(row.order_id)
      for (const refund of cancel) failQueued.run(now, why.reason, why.message, refund.seq)
    }
    ledgers.put(row.order_id, row.perk_id, ledger, now)
    return cancel.length
  }

  /** How many other queued events failed as a consequence (order ledger); -1 when ignored. */
  const completeOne = (c: Completion, now: number): number => {
    const seq = Number(c.id)
    for (const a of c.log) attemptAdd.run(seq, a.at, a.durationMs, a.outcome, a.request, a.response, a.error)
    const row = lanes.event(seq)
    if (row?.status !== 'in_flight' || row.lease_id !== c.leaseId) return -1
    outcomes.get(c.result.status)!(c, seq)
    const cascaded = givesBackShare(c.result) && row.ledger === 1 ? release(row, now) : 0
    lanes.aim(row.customer_key, now)
    return cascaded
  }

  return db.transaction((completions: Completion[], now: number): CompleteResult => {
    let cascaded = 0
    const applied = completions.map((c) => {
      const n = completeOne(c, now)
      if (n < 0) return false
      cascaded += n
      return true
    })
    return { applied, cascadedFailures: cascaded }
  })
}
