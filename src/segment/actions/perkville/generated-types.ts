// Generated file. DO NOT MODIFY IT BY HAND.

export interface Settings {
  /**
   * A Perkville API token, made in Perkville > Settings > Apps > Connect Segment. It needs the ADMIN_CUSTOMER_GRANT_POINTS scope.
   */
  apiKey: string
  /**
   * Your Perkville business id (a positive integer).
   */
  businessId: string
  /**
   * The Perkville location the points are awarded at (a positive integer).
   */
  locationId: string
  /**
   * A JSON object from Segment event name to Perkville perk id, e.g. {"Order Completed": 3002, "Checked In": 3001}. Its keys are the events that earn points (matched exactly); other events are discarded.
   */
  eventToPerkMap: string
  /**
   * When on, Perkville emails the customer about each transaction.
   */
  sendEmail?: boolean
  /**
   * A JSON object from Engage audience key (the snake_cased audience name, e.g. order_completed_last_30days) to Perkville perk id, e.g. {"order_completed_last_30days": 3003}. Entering a mapped audience awards its perk once per customer; other audiences are discarded.
   */
  audienceToPerkMap?: string
  /**
   * A JSON list of event names from the Event → Perk Map whose perk Perkville awards at most once per customer and calendar day (in the business time zone), e.g. ["Checked In"]: a second one that day is skipped, not an error. The Once per Day field of an Award Points subscription overrides it.
   */
  oncePerDayEvents?: string
}
