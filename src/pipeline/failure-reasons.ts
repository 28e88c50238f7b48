/**
 * Why a stored event failed or waits parked: the `failure_reason` values every store, metric, replay
 * filter and operator's suggestion uses. Each reason has its line of what to do (WHAT_TO_DO): one
 * without it does not compile.
 */

/** The order rules held it back: the order already earned its award, or nothing of it is left to refund. */
export type OrderRuleReason = 'order_already_awarded' | 'refund_exceeds_order'

/**
 * Why an event failed (status `failed`): Perkville refused the transaction (`permanent`: a 4xx other
 * than rate limits and auth), it still failed when the retry period ran out (`expired`), or an order
 * rule held it back.
 */
export type FailureReason = 'permanent' | 'expired' | OrderRuleReason

/**
 * Why an event is parked (status `parked`, in the same column): the settings name something Perkville
 * does not know (or knows as inactive: E001, E004; `unknown_to_perkville` is a 404 that does not say
 * what), or no longer award the event (`not_awarded`). Never a failure: a settings change takes parked
 * events back into the queue. `cannot_settle`: an attempt's answer was lost and Perkville refused the
 * lookup that would settle it, so sending again could award twice; the event waits for an operator.
 */
export type ParkingReason =
  | 'unknown_business'
  | 'unknown_location'
  | 'unknown_perk'
  | 'inactive_location'
  | 'inactive_perk'
  | 'unknown_to_perkville'
  | 'not_awarded'
  | 'cannot_settle'

/** What an order-rule failure means, for whoever sent the event (the stored event has the details). */
export const ORDER_RULE_WORDS = {
  order_already_awarded: 'the order already earned an award for this perk; this one was not sent',
  refund_exceeds_order: 'nothing of the order is left to refund; this refund was not sent',
} as const satisfies Record<OrderRuleReason, string>

/** Policy decisions, not delivery failures: a replay leaves them alone unless asked for by name. */
export const ORDER_RULE_REASONS: readonly string[] = Object.keys(ORDER_RULE_WORDS)

/** What an operator can do about each reason, in one sentence. */
export const WHAT_TO_DO = {
  permanent:
    'Perkville refused these transactions: open a sample to read its answer, fix "Events that award a perk" in Settings or the customer in Perkville, then replay them.',
  expired:
    'Perkville could not be reached for the whole retry period: check the API key in Settings and the network, then replay them.',
  order_already_awarded:
    'The order had already earned its award for this perk: nothing to do unless the duplicate order ids are a sender bug.',
  refund_exceeds_order:
    "The refunds exceed what the order was awarded: check the sender's refund amounts; nothing was removed beyond the award.",
  unknown_business:
    'These events wait for a settings fix: set businessId to your Perkville business in Settings, and they are decided again.',
  unknown_location:
    "These events wait for a settings fix: set locationId to one of the business's locations in Settings, and they are decided again.",
  unknown_perk:
    "These events wait for a settings fix: map them to one of the business's perks in Settings, and they are decided again.",
  inactive_location:
    'The location is not active in Perkville: activate it and release the parked events, or set an active locationId in the settings.',
  inactive_perk:
    'The perk is not active in Perkville: activate it and release the parked events, or map the events to an active perk in the settings.',
  unknown_to_perkville:
    'Perkville does not know something these transactions name: check the Perkville base URL, businessId, locationId and the perk map in the settings ("Check settings" shows what is wrong).',
  not_awarded:
    'The settings in force no longer award these events: nothing to do unless they should earn points; a settings version that awards them again delivers them.',
  cannot_settle:
    'Perkville refused the lookup that tells whether a lost answer landed: check each event in Perkville by its trans_source_id, retry those it does not have; release them all once Perkville accepts the lookup.',
} as const satisfies Record<FailureReason | ParkingReason, string>
