import type Database from 'better-sqlite3'
import type { Transaction } from '../../../core/types.js'
import { inOrderLedger } from '../../order-ledger.js'
import type { LedgerState } from '../storage.js'

/** Reads and writes order ledger rows; what goes in them is decided by order-rules.ts and order-ledger.ts. */
export class Ledgers {
  private readonly getStmt
  private readonly putStmt

  constructor(db: Database.Database) {
    this.getStmt = db.prepare(
      `SELECT awarded_cents, refunded_cents FROM order_ledger WHERE order_id = ? AND perk_id = ?`,
    )
    this.putStmt = db.prepare(
      `INSERT INTO order_ledger (order_id, perk_id, awarded_cents, refunded_cents, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (order_id, perk_id) DO UPDATE SET awarded_cents = excluded.awarded_cents,
         refunded_cents = excluded.refunded_cents, updated_at = excluded.updated_at`,
    )
  }

  get(orderId: string, perkId: string): LedgerState | null {
    const row = this.getStmt.get(orderId, perkId) as
      | { awarded_cents: number; refunded_cents: number }
      | undefined
    return row ? { awardedCents: row.awarded_cents, refundedCents: row.refunded_cents } : null
  }

  /** The ledger a transaction's order rules run against: null when it is in none or its order is new. */
  of(tx: Transaction): LedgerState | null {
    return inOrderLedger(tx) ? this.get(tx.orderId, tx.perkId) : null
  }

  put(orderId: string, perkId: string, state: LedgerState, now: number): void {
    this.putStmt.run(orderId, perkId, state.awardedCents, state.refundedCents, now)
  }
}
