import type { Payload } from './awardPoints/generated-types.js'

/**
 * A Segment-shaped track event rebuilt from the mapped fields, so the core decides on the same
 * shape it decides on everywhere else. The mapping already picked the email and the order id, so
 * they go where the core looks first (`email`, `properties.order_id`); fields left empty stay absent.
 */
export function eventFromPayload(payload: Payload): Record<string, unknown> {
  const properties: Record<string, unknown> = {}
  setIfPresent(properties, 'order_id', payload.order_id)
  setIfPresent(properties, 'revenue', payload.revenue)
  setIfPresent(properties, 'value', payload.value)
  setIfPresent(properties, 'total', payload.total)

  const event: Record<string, unknown> = {
    type: payload.event_type ?? 'track',
    event: payload.event_name,
    properties,
  }
  setIfPresent(event, 'email', payload.email)
  setIfPresent(event, 'messageId', payload.message_id)
  setIfPresent(event, 'timestamp', isoTimestamp(payload.timestamp))
  return event
}

/** The core takes timestamps as ISO strings; Segment's datetime fields may also carry epoch milliseconds. */
function isoTimestamp(value: string | number | undefined): string | undefined {
  if (typeof value !== 'number') return value
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString()
}

function setIfPresent(target: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== undefined && value !== null) target[key] = value
}
