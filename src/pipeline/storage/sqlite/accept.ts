import type Database from 'better-sqlite3'
import type { OrderRuleReason } from '../../failure-reasons.js'
import { EMPTY_LEDGER, inOrderLedger } from '../../order-ledger.js'
import { decisionTx } from '../event-rows.js'
import { REFUSAL_COLUMNS } from '../refusal-rows.js'
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
  const insert = db.prepare(
    `INSERT INTO events (message_id, external_id, customer_key, email, business_id, location_id, perk_id,
       send_email, kind, quantity, requested_quantity, order_id, event_timestamp, payload, source, status,
       ledger, received_at, next_attempt_at, finished_at, failure_reason, last_error, settings_version,
       event_name, audience_key, write_key_source, once_per_day)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  const decided = db.prepare(
    `INSERT INTO event_decisions (event_seq, at, settings_version, outcome, code, message, tx) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  )
  const refuse = db.prepare(
    `INSERT INTO refusals (${REFUSAL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )

  const acceptOne = (batch: AcceptBatch, ctx: AcceptContext): AcceptOutcome[] => {
    for (const r of batch.refusals ?? []) {
      refuse.run(
        r.receivedAt,
        r.kind,
        r.code,
        r.message,
        r.email,
        r.email === null ? null : r.email.toLowerCase(),
        r.orderId,
        r.messageId,
        r.eventName,
        r.audienceKey,
        r.source,
        r.writeKeySource,
        r.settingsVersion ?? 0,
        r.payload,
      )
    }
    const out: AcceptOutcome[] = []
    for (const ev of batch.events) {
      if (seen.get(ev.dedupKey, ctx.dedupSince) !== undefined) {
        out.push('duplicate')
        continue
      }
      const tx = ev.tx
      let quantity = tx.quantity
      let ledger = 0
      let failure: { reason: OrderRuleReason; message: string } | null = null
      if (inOrderLedger(tx)) {
        const decision = ctx.orderRule(tx, ledgers.get(tx.orderId, tx.perkId) ?? { ...EMPTY_LEDGER })
        if (decision.action === 'fail') {
          failure = { reason: decision.reason, message: decision.message }
        } else {
          quantity = decision.quantity
          if (decision.ledger) {
            ledger = 1
            ledgers.put(tx.orderId, tx.perkId, decision.ledger, ctx.now)
          }
        }
      }
      const version = ev.settingsVersion ?? 0
      const info = insert.run(
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
        version,
        ev.eventName ?? null,
        ev.audienceKey ?? null,
        ev.writeKeySource ?? null,
        tx.oncePerDay ? 1 : 0,
      )
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
          decisionTx(quantity === tx.quantity ? tx : { ...tx, quantity }),
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
