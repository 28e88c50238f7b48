import { toCents } from '../core/amount.js'
import type { Transaction } from '../core/types.js'
import { inOrderLedger } from './order-ledger.js'
import type { LedgerState, OrderDecision } from './storage/storage.js'

export interface OrderRules {
  /** At most one award per (order id, perk), whatever messageIds the order arrives under. */
  oneAwardPerOrder: boolean
  /** The refunds of an order never remove more than that order awarded. */
  capRefunds: boolean
}

/**
 * The order policy, pure: the storage calls it inside the accepting transaction with the ledger of
 * (order id, perk) and writes back the ledger it returns. `ledger: null` means the event reserves
 * nothing, so its later failure releases nothing.
 *
 * Decided: a refund larger than what is left of the order is clamped to the remainder rather than
 * dropped. The usual cause is an Order Refunded carrying `total` (tax and shipping included) for an
 * order awarded on `revenue`; removing exactly what the order gave is what the merchant means.
 * Only a refund with nothing left to remove fails (`refund_exceeds_order`).
 */
export function decideOrder(rules: OrderRules, tx: Transaction, ledger: LedgerState): OrderDecision {
  if (!inOrderLedger(tx)) return { action: 'queue', quantity: tx.quantity, ledger: null }
  const cents = toCents(tx.quantity)
  if (tx.kind === 'spend') {
    if (rules.oneAwardPerOrder && ledger.awardedCents > 0) {
      return {
        action: 'fail',
        reason: 'order_already_awarded',
        message: `order ${tx.orderId} already earned an award for perk ${tx.perkId}; this one was not sent`,
      }
    }
    if (!rules.oneAwardPerOrder && !rules.capRefunds)
      return { action: 'queue', quantity: tx.quantity, ledger: null }
    return {
      action: 'queue',
      quantity: tx.quantity,
      ledger: { awardedCents: ledger.awardedCents + cents, refundedCents: ledger.refundedCents },
    }
  }
  if (!rules.capRefunds) return { action: 'queue', quantity: tx.quantity, ledger: null }
  const remaining = ledger.awardedCents - ledger.refundedCents
  if (remaining <= 0) {
    return {
      action: 'fail',
      reason: 'refund_exceeds_order',
      message:
        ledger.awardedCents === 0
          ? `order ${tx.orderId} has no award for perk ${tx.perkId} here, so there is nothing to refund`
          : `order ${tx.orderId} was already refunded in full for perk ${tx.perkId}`,
    }
  }
  const take = Math.min(cents, remaining)
  return {
    action: 'queue',
    quantity: -take / 100,
    ledger: { awardedCents: ledger.awardedCents, refundedCents: ledger.refundedCents + take },
  }
}
