// Generated file. DO NOT MODIFY IT BY HAND.

export interface Settings {
  /**
   * A Perkville API token (Perkville > Settings > Apps > Connect Segment). It needs the ADMIN_CUSTOMER_GRANT_POINTS scope.
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
   * A JSON object from Segment event name to Perkville perk id, e.g. {"Order Completed": 3002}. Its keys are the events that earn points; other events are discarded.
   */
  eventToPerkMap: string
  /**
   * When on, Perkville emails the customer about each transaction.
   */
  sendEmail?: boolean
}
