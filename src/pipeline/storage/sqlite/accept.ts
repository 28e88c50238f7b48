import type Database from 'better-sqlite3'
import { SQLITE_INSERT_EVENT, sqliteEventValues } from '../event-columns.js'
import { decisionTx } from '../event-rows.js'
import { applyOrderRule } from '../order-step.js'
import { refusalValues, SQLITE_INSERT_REFUSAL } from '../refusal-rows.js'
import type { AcceptBatch, AcceptContext, AcceptOutcome } from '../storage.js'
import type { Lanes } from './lanes.js'
import type { Ledgers } from './ledgers.js'

/** Stores each batch (one transaction for all of them): dedup, order rules, queueing, refusals. */
export function acceptOp(
  db: Database.Database,
  lanes: Lanes,
  ledgers: Ledgers,
): (batches: AcceptBatch[], ctx: AcceptContext) => AcceptOutcome[][] {
  const seen = db.prepare(`SELECT 1 FROM events WHERE external_id = ? AND received_at >= ? LIMIT 1`).pluck()
  const insert = db.prepare(SQLITE_INSERT_EVENT)
  const decided = db.prepare(
    `INSERT INTO event_decisions (event_seq, at, settings_version, outcome, code, message, tx) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  )
  const refuse = db.prepare(SQLITE_INSERT_REFUSAL)

  const acceptOne = (batch: AcceptBatch, ctx: AcceptContext): AcceptOutcome[] => {
    for (const r of batch.refusals ?? []) {
      refuse.run(...refusalValues(r))
    }
    const out: AcceptOutcome[] = []
    for (const ev of batch.events) {
      if (seen.get(ev.dedupKey, ctx.dedupSince) !== undefined) {
        out.push('duplicate')
        continue
      }
      const tx = ev.tx
      const step = applyOrderRule(ctx.orderRule, tx, ledgers.of(tx))
      if (step.ledger) ledgers.put(step.ledger.orderId, step.ledger.perkId, step.ledger.state, ctx.now)
      const version = ev.settingsVersion ?? 0
      const info = insert.run(...sqliteEventValues({ ev, step, settingsVersion: version, now: ctx.now }))
      const failure = step.failure
      if (failure) {
        // A queued event's decision is its row (see acceptDecision); a failed one's row says only
        // that it failed, and a later retry would hide even that.
        decided.run(
          info.lastInsertRowid,
          ctx.now,
          version,
          'fail',
          failure.reason,
          failure.message,
          decisionTx(step.tx),
        )
        out.push({ orderRule: failure.reason })
      } else {
        lanes.add(ev.customerKey, ctx.now, ev.bulk === true)
        out.push('queued')
      }
    }
    return out
  }

  return db.transaction((batches: AcceptBatch[], ctx: AcceptContext) =>
    batches.map((batch) => acceptOne(batch, ctx)),
  )
}
