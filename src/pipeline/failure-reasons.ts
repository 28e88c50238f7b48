/** Why a stored event failed: the `failure_reason` values every store, metric and replay filter uses. */

/** Perkville refused the transaction (4xx other than rate limits and auth). */
export const PERMANENT = 'permanent'
/** Still failing when the retry period ran out. */
export const EXPIRED = 'expired'
/** The order rules held it back: the order already earned an award for this perk. */
export const ORDER_ALREADY_AWARDED = 'order_already_awarded'
/** The order rules held it back: nothing of the order is left to refund. */
export const REFUND_EXCEEDS_ORDER = 'refund_exceeds_order'
