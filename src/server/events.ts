import type { IncomingEvent } from '../pipeline/service-api.js'
import { badRequest } from './http-error.js'
import { BATCH_LIMIT_EVENTS, EVENT_LIMIT_BYTES } from './limits.js'

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * The events of a batch body `{"batch":[...], "context":{...}, "integrations":{...}}`.
 *
 * Merge rule (decided): batch-level `context` and `integrations` are merged key by key into each
 * event's own object; where both have a key, the event's value wins whole (so an event's
 * `context.traits` replaces the batch's `context.traits`, it is not merged further). That keeps an
 * event exactly as its sender wrote it wherever the sender said something.
 *
 * `writeKey` is removed from the batch and from every event: it is a credential and must not be stored
 * or shown back through the admin API.
 */
export function eventsFromBatch(
  body: unknown,
  source: IncomingEvent['source'],
  receivedAt: number,
  bodyBytes: number,
) {
  if (!isObject(body))
    throw badRequest(
      'INVALID_BATCH',
      `a batch must be a JSON object with a "batch" array, got ${jsonType(body)}`,
    )
  const batch = body.batch
  if (!Array.isArray(batch)) {
    throw badRequest('INVALID_BATCH', `"batch" must be an array of events, got ${jsonType(batch)}`)
  }
  return eventsFromList(batch, body.context, body.integrations, source, receivedAt, bodyBytes)
}

export function eventsFromList(
  list: unknown[],
  context: unknown,
  integrations: unknown,
  source: IncomingEvent['source'],
  receivedAt: number,
  bodyBytes: number,
): IncomingEvent[] {
  if (list.length > BATCH_LIMIT_EVENTS) {
    throw badRequest(
      'TOO_MANY_EVENTS',
      `batch has ${list.length} events, over the limit of ${BATCH_LIMIT_EVENTS} events per batch`,
    )
  }
  const events: IncomingEvent[] = new Array(list.length)
  // No single event can be larger than the whole body, so measuring is only needed for big bodies.
  const measure = bodyBytes > EVENT_LIMIT_BYTES
  for (let index = 0; index < list.length; index++) {
    const item = list[index]
    if (measure) checkEventSize(item, `batch[${index}]`)
    events[index] = { payload: mergeBatchFields(item, context, integrations), source, receivedAt }
  }
  return events
}

/** One event from a single-event endpoint; `type` comes from the path when the body has none. */
export function eventFromSingle(
  body: unknown,
  pathType: string | null,
  source: IncomingEvent['source'],
  receivedAt: number,
): IncomingEvent {
  if (!isObject(body)) {
    // Kept, not refused: the pipeline rejects it at the door with a counted reason (INVALID_EVENT).
    return { payload: body, source, receivedAt }
  }
  const { writeKey: _writeKey, ...event } = body
  if (pathType !== null && (event.type === undefined || event.type === null || event.type === ''))
    event.type = pathType
  return { payload: event, source, receivedAt }
}

/**
 * Segment's per-event limit, the one check of it on every way in (Tracking API, webhook, beacon, the
 * console's event tester): a 400 naming where and how large.
 */
export function checkEventSize(event: unknown, where: string): void {
  checkEventBytes(Buffer.byteLength(JSON.stringify(event) ?? '', 'utf8'), where)
}

/** checkEventSize for an event already measured (a single-event body as received). */
export function checkEventBytes(bytes: number, where: string): void {
  if (bytes > EVENT_LIMIT_BYTES) {
    throw badRequest(
      'EVENT_TOO_LARGE',
      `${where} is ${bytes} bytes, over the 32 KB per-event limit (${EVENT_LIMIT_BYTES} bytes)`,
    )
  }
}

function mergeBatchFields(event: unknown, context: unknown, integrations: unknown): unknown {
  if (!isObject(event)) return event
  const { writeKey: _writeKey, ...merged } = event
  if (isObject(context))
    merged.context = isObject(event.context) ? { ...context, ...event.context } : (event.context ?? context)
  if (isObject(integrations)) {
    merged.integrations = isObject(event.integrations)
      ? { ...integrations, ...event.integrations }
      : (event.integrations ?? integrations)
  }
  return merged
}

function jsonType(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}

/** Marks each event with the label of the credential that let it in (never the credential). */
export function labelSource(events: IncomingEvent[], writeKeySource: string): IncomingEvent[] {
  for (const e of events) e.writeKeySource = writeKeySource
  return events
}
