// Generated file. DO NOT MODIFY IT BY HAND.

export interface Payload {
  /**
   * The Segment event as it was sent. The destination rules read the event name, email, order id, amount and audience membership from it, exactly as the rules define.
   */
  event: {
    [k: string]: unknown
  }
  /**
   * Which computation changed: computation_class ("audience" or "journey_step") and computation_key (the audience key looked up in the Audience → Perk Map).
   */
  personas?: {
    [k: string]: unknown
  }
  /**
   * The membership values of an identify: the trait named by the audience key is true on entering, false on leaving. traits.email is an email place.
   */
  traits?: {
    [k: string]: unknown
  }
  /**
   * The membership values of an Audience Entered/Exited track, as for Traits. properties.email is an email place.
   */
  properties?: {
    [k: string]: unknown
  }
  /**
   * Overrides the Send Email setting for this action.
   */
  send_email?: boolean
}
