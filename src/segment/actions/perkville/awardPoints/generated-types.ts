// Generated file. DO NOT MODIFY IT BY HAND.

export interface Payload {
  /**
   * The Segment event as it was sent. The destination rules read the event name, email, order id, amount and audience membership from it, exactly as the rules define.
   */
  event: {
    [k: string]: unknown
  }
  /**
   * A Perkville perk id to award instead of the one in the Event → Perk Map. When set, this subscription does not need the event in the map.
   */
  perk_id?: string
  /**
   * Overrides the Send Email setting for this action.
   */
  send_email?: boolean
  /**
   * On: Perkville awards this subscription’s events at most once per customer and calendar day (limit_to_once_per_calendar_day); a second one that day is skipped, not an error. Off: never limited. Unset: the Once-per-Day Events setting decides.
   */
  once_per_day?: boolean
}
