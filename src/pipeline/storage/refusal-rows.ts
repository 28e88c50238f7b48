import type { NewRefusal, StoredRefusal } from './storage.js'

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

/** How a `refusals` row is written, once for both stores: each column, its PostgreSQL type, its value. */
const REFUSAL_INSERT_COLUMNS: Array<{
  name: string
  type: 'text' | 'bigint'
  value: (r: NewRefusal) => string | number | null
}> = [
  { name: 'received_at', type: 'bigint', value: (r) => r.receivedAt },
  { name: 'kind', type: 'text', value: (r) => r.kind },
  { name: 'code', type: 'text', value: (r) => r.code },
  { name: 'message', type: 'text', value: (r) => r.message },
  { name: 'email', type: 'text', value: (r) => r.email },
  { name: 'customer_key', type: 'text', value: (r) => (r.email === null ? null : r.email.toLowerCase()) },
  { name: 'order_id', type: 'text', value: (r) => r.orderId },
  { name: 'message_id', type: 'text', value: (r) => r.messageId },
  { name: 'event_name', type: 'text', value: (r) => r.eventName },
  { name: 'audience_key', type: 'text', value: (r) => r.audienceKey },
  { name: 'source', type: 'text', value: (r) => r.source },
  { name: 'write_key_source', type: 'text', value: (r) => r.writeKeySource },
  { name: 'settings_version', type: 'bigint', value: (r) => r.settingsVersion ?? 0 },
  { name: 'payload', type: 'text', value: (r) => r.payload },
  { name: 'user_id', type: 'text', value: (r) => r.userId ?? null },
  { name: 'anonymous_id', type: 'text', value: (r) => r.anonymousId ?? null },
]

const REFUSAL_NAMES = REFUSAL_INSERT_COLUMNS.map((c) => c.name).join(', ')

/** SQLite: one refusal's INSERT, bound with refusalValues. */
export const SQLITE_INSERT_REFUSAL = `INSERT INTO refusals (${REFUSAL_NAMES})
  VALUES (${REFUSAL_INSERT_COLUMNS.map(() => '?').join(', ')})`

export function refusalValues(r: NewRefusal): Array<string | number | null> {
  return REFUSAL_INSERT_COLUMNS.map((c) => c.value(r))
}

/** PostgreSQL: many refusals in one INSERT, one array each column (refusalArrays). */
export const PG_INSERT_REFUSALS = `INSERT INTO refusals (${REFUSAL_NAMES})
  SELECT * FROM unnest(${REFUSAL_INSERT_COLUMNS.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ')})`

export function refusalArrays(list: NewRefusal[]): Array<Array<string | number | null>> {
  return REFUSAL_INSERT_COLUMNS.map((c) => list.map((r) => c.value(r)))
}
