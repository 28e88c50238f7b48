// Generated file. DO NOT MODIFY IT BY HAND.

export interface Payload {
  /**
   * The customer's email address: Perkville finds (or invites) the customer by it.
   */
  email?: string
  /**
   * The Segment event name, looked up in the Event → Perk Map.
   */
  event_name: string
  /**
   * A Perkville perk id to award instead of the one in the Event → Perk Map.
   */
  perk_id?: string
  /**
   * The order id. With one, the event is a purchase: points follow the amount.
   */
  order_id?: string
  /**
   * The order amount (first choice).
   */
  revenue?: string
  /**
   * The order amount when Revenue is absent.
   */
  value?: string
  /**
   * The order amount when Revenue and Value are absent.
   */
  total?: string
  /**
   * Overrides the Send Email setting for this action.
   */
  send_email?: boolean
  /**
   * The Segment messageId: Perkville's external id, so a redelivered event is never awarded twice.
   */
  message_id?: string
  /**
   * When the event happened.
   */
  timestamp?: string | number
  /**
   * The Segment event type; only track events earn points.
   */
  event_type?: string
}
