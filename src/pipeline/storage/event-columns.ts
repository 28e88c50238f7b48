import type { OrderStep } from './order-step.js'
import type { NewEvent } from './storage.js'

/**
 * How an `events` row is written, once for both stores: each column with its PostgreSQL type and
 * where its value comes from. The stores' INSERT (accept) and UPDATE (a new decision) statements and
 * their bound values are derived from these tables, so a new column is added in one place.
 */

/** What a decision writes: the order rules' step and the settings version it was decided under. */
export interface Decided {
  step: OrderStep
  settingsVersion: number
}

/** What accept writes: the event as received, decided, at `now`. */
export interface Accepted extends Decided {
  ev: NewEvent
  now: number
}

type Value = string | number | boolean | null

interface Column<W> {
  name: string
  /** The PostgreSQL array element type it is bound as; `bool` is 0/1 on SQLite. */
  type: 'text' | 'bigint' | 'float8' | 'bool'
  value: (w: W) => Value
}

/** The columns every decision sets, at accept and when an event is decided again. */
const DECIDED_COLUMNS: Array<Column<Decided>> = [
  { name: 'business_id', type: 'text', value: (d) => d.step.tx.businessId },
  { name: 'location_id', type: 'text', value: (d) => d.step.tx.locationId },
  { name: 'perk_id', type: 'text', value: (d) => d.step.tx.perkId },
  { name: 'send_email', type: 'bool', value: (d) => d.step.tx.sendEmail },
  { name: 'once_per_day', type: 'bool', value: (d) => d.step.tx.oncePerDay === true },
  { name: 'quantity', type: 'float8', value: (d) => d.step.tx.quantity },
  { name: 'requested_quantity', type: 'float8', value: (d) => d.step.requestedQuantity },
  { name: 'ledger', type: 'bool', value: (d) => d.step.ledger !== null },
  { name: 'settings_version', type: 'bigint', value: (d) => d.settingsVersion },
]

/** Every column accept writes: the event as received, then what was decided. */
const ACCEPTED_COLUMNS: Array<Column<Accepted>> = [
  { name: 'message_id', type: 'text', value: (a) => a.ev.messageId },
  { name: 'external_id', type: 'text', value: (a) => a.ev.externalId },
  { name: 'customer_key', type: 'text', value: (a) => a.ev.customerKey },
  { name: 'email', type: 'text', value: (a) => a.step.tx.email },
  { name: 'kind', type: 'text', value: (a) => a.step.tx.kind },
  { name: 'order_id', type: 'text', value: (a) => a.step.tx.orderId },
  { name: 'event_timestamp', type: 'text', value: (a) => a.step.tx.timestamp },
  { name: 'payload', type: 'text', value: (a) => a.ev.payload },
  { name: 'source', type: 'text', value: (a) => a.ev.source },
  { name: 'received_at', type: 'bigint', value: (a) => a.ev.receivedAt },
  { name: 'event_name', type: 'text', value: (a) => a.ev.eventName ?? null },
  { name: 'audience_key', type: 'text', value: (a) => a.ev.audienceKey ?? null },
  { name: 'write_key_source', type: 'text', value: (a) => a.ev.writeKeySource ?? null },
  { name: 'user_id', type: 'text', value: (a) => a.ev.userId ?? null },
  { name: 'anonymous_id', type: 'text', value: (a) => a.ev.anonymousId ?? null },
  // A failed event is finished at once; a queued one is due now.
  { name: 'status', type: 'text', value: (a) => (a.step.failure ? 'failed' : 'pending') },
  { name: 'next_attempt_at', type: 'bigint', value: (a) => (a.step.failure ? null : a.now) },
  { name: 'finished_at', type: 'bigint', value: (a) => (a.step.failure ? a.now : null) },
  { name: 'failure_reason', type: 'text', value: (a) => a.step.failure?.reason ?? null },
  { name: 'last_error', type: 'text', value: (a) => a.step.failure?.message ?? null },
  ...DECIDED_COLUMNS,
]

const names = (cols: Array<Column<never>>) => cols.map((c) => c.name).join(', ')
const sqliteValue = (v: Value) => (typeof v === 'boolean' ? (v ? 1 : 0) : v)

/** SQLite: one event's INSERT, bound with sqliteEventValues. */
export const SQLITE_INSERT_EVENT = `INSERT INTO events (${names(ACCEPTED_COLUMNS)})
  VALUES (${ACCEPTED_COLUMNS.map(() => '?').join(', ')})`

export function sqliteEventValues(a: Accepted): Value[] {
  return ACCEPTED_COLUMNS.map((c) => sqliteValue(c.value(a)))
}

/**
 * PostgreSQL: many events in one INSERT, one array each column (pgEventArrays), inserted in the
 * arrays' order so that seq follows it.
 */
export const PG_INSERT_EVENTS = (() => {
  const aliases = ACCEPTED_COLUMNS.map((_, i) => `c${i + 1}`).join(', ')
  const arrays = ACCEPTED_COLUMNS.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ')
  return `INSERT INTO events (${names(ACCEPTED_COLUMNS)})
    SELECT ${aliases} FROM (
      SELECT ${aliases} FROM unnest(${arrays}) WITH ORDINALITY AS u(${aliases}, n) ORDER BY n
    ) AS ordered`
})()

export function pgEventArrays(rows: Accepted[]): Value[][] {
  return ACCEPTED_COLUMNS.map((c) => rows.map((r) => c.value(r)))
}

/** The UPDATE that writes a new decision into an event's row, seq bound last (redecideValues). */
export function redecideSql(dialect: 'sqlite' | 'postgres'): string {
  const at = (i: number) => (dialect === 'sqlite' ? '?' : `$${i + 1}`)
  const sets = DECIDED_COLUMNS.map((c, i) => `${c.name} = ${at(i)}`).join(', ')
  return `UPDATE events SET ${sets} WHERE seq = ${at(DECIDED_COLUMNS.length)}`
}

export function redecideValues(dialect: 'sqlite' | 'postgres', d: Decided, seq: number): Value[] {
  const values = DECIDED_COLUMNS.map((c) => c.value(d))
  return [...(dialect === 'sqlite' ? values.map(sqliteValue) : values), seq]
}
