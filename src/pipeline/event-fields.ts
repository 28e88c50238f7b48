import { withoutNul } from '../core/text-safe.js'

/** What the console searches and shows an event by, read from the event as received. */
export interface EventFields {
  email: string | null
  orderId: string | null
  messageId: string | null
  eventName: string | null
  audienceKey: string | null
  /** The sender's ids of the person (Segment's userId and anonymousId): searched exactly. */
  userId: string | null
  anonymousId: string | null
}

/** Long values are cut: the fields are looked up exactly and shown, never sent anywhere. */
const MAX_FIELD = 500

/**
 * The fields of any event, refused or not, found where the rules look for them (the email where
 * tracks and audiences take it, the order id as the order rules read it, the Engage audience's
 * computation key). Never throws; a field not found or not text is null.
 */
export function eventFields(event: Record<string, unknown> | null): EventFields {
  if (event === null)
    return {
      email: null,
      orderId: null,
      messageId: null,
      eventName: null,
      audienceKey: null,
      userId: null,
      anonymousId: null,
    }
  const properties = objectOf(event.properties)
  const context = objectOf(event.context)
  return {
    email: firstText([
      event.email,
      properties.email,
      objectOf(event.traits).email,
      objectOf(context.traits).email,
    ]),
    orderId: firstText([properties.order_id, properties.orderId]),
    messageId: text(event.messageId),
    ...eventLabels(event),
  }
}

/** The fields an accepted event adds to its transaction: its name, its Engage audience and its ids. */
export function eventLabels(
  event: Record<string, unknown>,
): Pick<EventFields, 'eventName' | 'audienceKey' | 'userId' | 'anonymousId'> {
  return {
    eventName: text(event.event),
    audienceKey: text(objectOf(objectOf(event.context).personas).computation_key),
    userId: text(event.userId),
    anonymousId: text(event.anonymousId),
  }
}

function firstText(values: unknown[]): string | null {
  for (const v of values) {
    const t = text(v)
    if (t !== null) return t
  }
  return null
}

function text(value: unknown): string | null {
  let s: string
  if (typeof value === 'string') s = value.trim()
  else if (typeof value === 'number' && Number.isFinite(value)) s = String(value)
  else return null
  if (s === '') return null
  return withoutNul(s.length > MAX_FIELD ? s.slice(0, MAX_FIELD) : s)
}

function objectOf(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {}
}
