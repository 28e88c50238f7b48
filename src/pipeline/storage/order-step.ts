import type { Transaction } from '../../core/types.js'
import type { OrderRuleReason } from '../failure-reasons.js'
import { EMPTY_LEDGER, inOrderLedger } from '../order-ledger.js'
import type { AcceptContext, LedgerState } from './storage.js'

/**
 * What the order rules made of one transaction, for both stores at accept and at a new decision:
 * the transaction as it is stored and sent, and either the ledger row to write back (the event
 * then holds a share of its order) or the reason it fails.
 */
export interface OrderStep {
  /** The transaction to store: its quantity is what the rules allow (a capped refund is lowered). */
  tx: Transaction
  /** The quantity asked for, when the rules lowered it; null otherwise. */
  requestedQuantity: number | null
  /** The order ledger row as it stands after this event; null when the event holds no share. */
  ledger: { orderId: string; perkId: string; state: LedgerState } | null
  /** Why the rules failed the event; null when it is queued. */
  failure: { reason: OrderRuleReason; message: string } | null
}

/**
 * Runs the order policy on a transaction against its ledger (`held`: the stored row, null when the
 * order was never seen). Pure: the caller reads the ledger under its lock and writes back `ledger`.
 * Events outside any order ledger are queued as they are, without asking the policy.
 */
export function applyOrderRule(
  rule: AcceptContext['orderRule'],
  tx: Transaction,
  held: LedgerState | null,
): OrderStep {
  const unchanged: OrderStep = { tx, requestedQuantity: null, ledger: null, failure: null }
  if (!inOrderLedger(tx)) return unchanged
  const decision = rule(tx, { ...(held ?? EMPTY_LEDGER) })
  if (decision.action === 'fail') {
    return { ...unchanged, failure: { reason: decision.reason, message: decision.message } }
  }
  const lowered = decision.quantity !== tx.quantity
  return {
    tx: lowered ? { ...tx, quantity: decision.quantity } : tx,
    requestedQuantity: lowered ? tx.quantity : null,
    ledger: decision.ledger
      ? { orderId: tx.orderId, perkId: tx.perkId, state: { ...decision.ledger } }
      : null,
    failure: null,
  }
}
