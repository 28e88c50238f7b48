/** Why a stored event failed: the `failure_reason` values every store, metric and replay filter uses. */

/** Perkville refused the transaction (4xx other than rate limits and auth). */
export const PERMANENT = 'permanent'
/** Still failing when the retry period ran out. */
export const EXPIRED = 'expired'
/** The order rules held it back: the order already earned an award for this perk. */
export const ORDER_ALREADY_AWARDED = 'order_already_awarded'
/** The order rules held it back: nothing of the order is left to refund. */
export const REFUND_EXCEEDS_ORDER = 'refund_exceeds_order'

/**
 * Why an event is parked (status `parked`, in the same `failure_reason` column): the settings name
 * something Perkville does not know, or no longer award the event. Never a failure: a settings
 * change takes parked events back into the queue.
 */
export const UNKNOWN_BUSINESS = 'unknown_business'
export const UNKNOWN_LOCATION = 'unknown_location'
export const UNKNOWN_PERK = 'unknown_perk'
/** Perkville knows the location or perk but it is not active (E001, E004). */
export const INACTIVE_LOCATION = 'inactive_location'
export const INACTIVE_PERK = 'inactive_perk'
/** Perkville answered 404 without saying what it does not know (a wrong base URL, say). */
export const UNKNOWN_TO_PERKVILLE = 'unknown_to_perkville'
/** Decided again under newer settings, the event earns nothing (its name left the map). */
export const NOT_AWARDED = 'not_awarded'
/**
 * An attempt's answer was lost and Perkville refused (or ignored) the lookup that would settle it:
 * sending again could award twice, so the event waits for an operator. It stays marked unknown.
 */
export const CANNOT_SETTLE = 'cannot_settle'
