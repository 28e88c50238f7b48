import { toRecord } from './event-records.js'
import type { EventListItem, EventSummary } from './service-api.js'
import type { NewRefusal, SearchCursor, SearchHit, StoredEvent, StoredRefusal } from './storage/storage.js'

/** An accepted event as lists show it. */
export function eventSummary(e: StoredEvent): EventSummary {
  return {
    id: e.id,
    receivedAt: new Date(e.receivedAt).toISOString(),
    status: e.status,
    code: e.failureReason,
    message: e.lastError,
    kind: e.kind,
    eventName: e.eventName ?? null,
    email: e.email,
    orderId: e.orderId,
    messageId: e.messageId,
    audienceKey: e.audienceKey ?? null,
    writeKeySource: e.writeKeySource ?? null,
    userId: e.userId ?? null,
    anonymousId: e.anonymousId ?? null,
    quantity: e.quantity,
    perkId: e.perkId,
  }
}

/** A refused event as lists show it. */
export function refusalSummary(r: StoredRefusal): EventSummary {
  return { id: r.id, ...refusalFields(r) }
}

/** What a summary shows of a refused event, stored or just refused (the live feed has no id yet). */
export function refusalFields(r: NewRefusal): Omit<EventSummary, 'id'> {
  return {
    receivedAt: new Date(r.receivedAt).toISOString(),
    status: r.kind === 'skip' ? 'skipped' : 'rejected',
    code: r.code,
    message: r.message,
    kind: null,
    eventName: r.eventName,
    email: r.email,
    orderId: r.orderId,
    messageId: r.messageId,
    audienceKey: r.audienceKey,
    writeKeySource: r.writeKeySource,
    userId: r.userId ?? null,
    anonymousId: r.anonymousId ?? null,
    quantity: null,
    perkId: null,
  }
}

export function hitSummary(hit: SearchHit): EventSummary {
  return hit.event ? eventSummary(hit.event) : refusalSummary(hit.refusal)
}

/** A search result: the summary, with the payload, and the full record of an accepted event. */
export function listItem(hit: SearchHit): EventListItem {
  if (hit.event) return { ...toRecord(hit.event), ...eventSummary(hit.event) }
  return { ...refusalSummary(hit.refusal), payload: parsePayload(hit.refusal.payload) }
}

export function parsePayload(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/** The position of a hit, for the next page's cursor. */
export function hitPosition(hit: SearchHit): SearchCursor {
  if (hit.event) return { receivedAt: hit.event.receivedAt, table: 1, seq: Number(hit.event.id) }
  return { receivedAt: hit.refusal.receivedAt, table: 0, seq: Number(hit.refusal.id.slice(1)) }
}

/** Opaque to clients: where the next page starts. */
export function encodeSearchCursor(c: SearchCursor): string {
  return Buffer.from(`at:${c.receivedAt}:${c.table}:${c.seq}`).toString('base64url')
}

export function decodeSearchCursor(cursor: string): SearchCursor {
  const m = /^at:(\d{1,16}):([01]):(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
  if (!m) throw new RangeError('cursor is not one this service handed out')
  return { receivedAt: Number(m[1]), table: m[2] === '1' ? 1 : 0, seq: Number(m[3]) }
}
