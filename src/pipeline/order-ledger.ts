/**
 * The order ledger's bookkeeping after accept, pure: what a failed event gives back, which queued
 * refunds go with a failed award, and what an operator's retry takes again. The stores lock the
 * ledger row and the events, call these, and write back what they return; the decision at accept
 * is order-rules.ts.
 */
import { toCents } from '../core/amount.js'
import type { TransactionKind } from '../core/types.js'
import type { OrderRuleReason } from './failure-reasons.js'
import type { LedgerState } from './storage/storage.js'

/** The ledger of an (order, perk) never seen: nothing awarded, nothing refunded. */
export const EMPTY_LEDGER: Readonly<LedgerState> = { awardedCents: 0, refundedCents: 0 }

/** The part of an event the ledger looks at. */
export interface LedgerEvent {
  orderId: string | null
  kind: TransactionKind
  quantity: number
}

/** Whether an event has a share in an order ledger at all: only order awards and refunds do. */
export function inOrderLedger(
  ev: Pick<LedgerEvent, 'orderId' | 'kind'>,
): ev is { orderId: string; kind: TransactionKind } {
  return ev.orderId !== null && ev.kind !== 'event'
}

/** A failed event gives back what it reserved. */
export function releaseShare(ledger: LedgerState, ev: LedgerEvent): LedgerState {
  const cents = toCents(ev.quantity)
  return ev.kind === 'refund'
    ? { awardedCents: ledger.awardedCents, refundedCents: Math.max(0, ledger.refundedCents - cents) }
    : { awardedCents: Math.max(0, ledger.awardedCents - cents), refundedCents: ledger.refundedCents }
}

/** After a release: queued refunds now remove more than the order still awards. */
export function refundsExceedAwards(ledger: LedgerState): boolean {
  return ledger.refundedCents > ledger.awardedCents
}

/**
 * When an award goes, the queued refunds it covered go too, newest first, until the refunds fit
 * what is left: a refund never removes points that were never given. `queued` is the order's
 * queued refunds that hold a reservation, newest first.
 */
export function refundsToCancel<R extends { quantity: number }>(
  ledger: LedgerState,
  queued: readonly R[],
): { ledger: LedgerState; cancel: R[] } {
  let refunded = ledger.refundedCents
  const cancel: R[] = []
  for (const refund of queued) {
    if (refunded <= ledger.awardedCents) break
    cancel.push(refund)
    refunded = Math.max(0, refunded - toCents(refund.quantity))
  }
  return { ledger: { awardedCents: ledger.awardedCents, refundedCents: refunded }, cancel }
}

/** The reason and message a refund cancelled by its award's failure is failed with. */
export function cancelledRefund(orderId: string): { reason: OrderRuleReason; message: string } {
  return {
    reason: 'refund_exceeds_order',
    message: `the award of order ${orderId} failed, so this refund has nothing to remove`,
  }
}

/** An operator's explicit retry is sent as is; it takes its share of the order ledger again. */
export function reserveAgain(ledger: LedgerState, ev: LedgerEvent): LedgerState {
  const cents = toCents(ev.quantity)
  return {
    awardedCents: ledger.awardedCents + (ev.kind === 'spend' ? cents : 0),
    refundedCents: ledger.refundedCents + (ev.kind === 'refund' ? cents : 0),
  }
}
