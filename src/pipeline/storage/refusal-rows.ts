import type { StoredRefusal } from './storage.js'

/** A `refusals` row as both stores read it back. */
export interface RefusalRow {
  seq: number
  received_at: number
  kind: 'skip' | 'reject'
  code: string
  message: string
  email: string | null
  customer_key: string | null
  order_id: string | null
  message_id: string | null
  event_name: string | null
  audience_key: string | null
  source: string
  write_key_source: string | null
  settings_version: number
  payload: string
  user_id: string | null
  anonymous_id: string | null
}

/** The refusals' ids: `r` and the row number, so they never meet an accepted event's numeric id. */
export function refusalId(seq: number): string {
  return `r${seq}`
}

export function refusalSeq(id: string): number | null {
  const m = /^r(\d{1,15})$/.exec(id)
  return m ? Number(m[1]) : null
}

export function toRefusal(r: RefusalRow): StoredRefusal {
  return {
    id: refusalId(r.seq),
    receivedAt: r.received_at,
    kind: r.kind,
    code: r.code,
    message: r.message,
    email: r.email,
    orderId: r.order_id,
    messageId: r.message_id,
    eventName: r.event_name,
    audienceKey: r.audience_key,
    source: r.source,
    writeKeySource: r.write_key_source,
    settingsVersion: r.settings_version,
    payload: r.payload,
    userId: r.user_id,
    anonymousId: r.anonymous_id,
  }
}

/** The columns a refusal is inserted with, in this order (both stores). */
export const REFUSAL_COLUMNS =
  'received_at, kind, code, message, email, customer_key, order_id, message_id, event_name, audience_key, source, write_key_source, settings_version, payload, user_id, anonymous_id'
