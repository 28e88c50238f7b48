import type { Transaction } from '../../core/types.js'
import type { LedgerEvent } from '../order-ledger.js'
import type { EventStatus } from '../service-api.js'
import type { AttemptRow, DecisionOutcome, DecisionRow, StoredEvent } from './storage.js'

/**
 * The `events` and `attempts` rows as every store reads them back. The two stores differ only in how
 * flags arrive (SQLite: 0/1, PostgreSQL: booleans), so each store names its own `Flag` and the
 * mapping to the pipeline's types lives here once.
 */
export interface EventRow<Flag extends number | boolean> {
  seq: number
  message_id: string | null
  external_id: string
  customer_key: string
  email: string
  business_id: string
  location_id: string
  perk_id: string
  send_email: Flag
  /** Absent in rows read by a query that does not ask for it (only claims and lookups need it). */
  once_per_day?: Flag
  kind: string
  quantity: number
  requested_quantity: number | null
  order_id: string | null
  event_timestamp: string | null
  payload: string
  status: EventStatus
  unknown: Flag
  ledger: Flag
  attempts: number
  received_at: number
  next_attempt_at: number | null
  first_failed_at: number | null
  lease_id: number | null
  finished_at: number | null
  failure_reason: string | null
  last_error: string | null
  transaction_id: string | null
  event_name?: string | null
  audience_key?: string | null
  write_key_source?: string | null
  user_id?: string | null
  anonymous_id?: string | null
  settings_version: number
}

export interface DecisionDbRow {
  event_seq: number
  at: number
  settings_version: number
  outcome: DecisionOutcome
  code: string | null
  message: string | null
  tx: string | null
}

export interface AttemptDbRow {
  event_seq: number
  at: number
  duration_ms: number
  outcome: string
  request: string | null
  response: string | null
  error: string | null
}

/** Event ids are the decimal row ids a store handed out; anything else names no event. */
export function toSeq(id: string): number | null {
  if (!/^\d{1,15}$/.test(id)) return null
  return Number(id)
}

export function rowTransaction(row: EventRow<number | boolean>): Transaction {
  const tx: Transaction = {
    perkId: row.perk_id,
    email: row.email,
    businessId: row.business_id,
    locationId: row.location_id,
    sendEmail: Boolean(row.send_email),
    quantity: row.quantity,
    kind: row.kind as Transaction['kind'],
    orderId: row.order_id,
    messageId: row.message_id,
    timestamp: row.event_timestamp,
  }
  if (row.once_per_day) tx.oncePerDay = true
  return tx
}

/** The part of a stored event the order ledger looks at. */
export function ledgerEvent(
  row: Pick<EventRow<number | boolean>, 'order_id' | 'kind' | 'quantity'>,
): LedgerEvent {
  return { orderId: row.order_id, kind: row.kind as Transaction['kind'], quantity: row.quantity }
}

function toAttempt(a: AttemptDbRow): AttemptRow {
  return {
    at: a.at,
    durationMs: a.duration_ms,
    outcome: a.outcome,
    request: a.request,
    response: a.response,
    error: a.error,
  }
}

export function toDecision(d: DecisionDbRow): DecisionRow {
  return {
    at: Number(d.at),
    settingsVersion: Number(d.settings_version),
    outcome: d.outcome,
    code: d.code,
    message: d.message,
    transaction: d.tx,
  }
}

/**
 * The decision an event was accepted under, read from its row. Accept writes no decision row for a
 * queued event (the row holds that decision: its transaction, settings version and receipt time);
 * rows are written once the event is decided again (the first of them this one, taken from the row
 * before it changes) or when an order rule failed it at once. A row of a store from before versions
 * (version 0) that failed with no attempt was failed by an order rule.
 */
export function acceptDecision(row: EventRow<number | boolean>): DecisionRow {
  const byRule = row.settings_version === 0 && row.status === 'failed' && row.attempts === 0
  return {
    at: Number(row.received_at),
    settingsVersion: Number(row.settings_version),
    outcome: byRule ? 'fail' : 'queue',
    code: byRule ? row.failure_reason : null,
    message: byRule ? row.last_error : null,
    transaction: decisionTx(rowTransaction(row)),
  }
}

/** An event's decisions: its decision rows, or when it has none, the one its row holds. */
function eventDecisions(row: EventRow<number | boolean>, rows: DecisionDbRow[]): DecisionRow[] {
  return rows.length > 0 ? rows.map(toDecision) : [acceptDecision(row)]
}

/** The decision row written for a transaction: the whole transaction as JSON. */
export function decisionTx(tx: Transaction): string {
  return JSON.stringify(tx)
}

export function toStored(
  row: EventRow<number | boolean>,
  attemptLog: AttemptRow[],
  decisions: DecisionRow[] = [],
): StoredEvent {
  return {
    id: String(row.seq),
    messageId: row.message_id,
    externalId: row.external_id,
    email: row.email,
    orderId: row.order_id,
    perkId: row.perk_id,
    quantity: row.quantity,
    requestedQuantity: row.requested_quantity,
    kind: row.kind,
    status: row.status,
    unknown: Boolean(row.unknown),
    failureReason: row.failure_reason,
    lastError: row.last_error,
    attempts: row.attempts,
    receivedAt: row.received_at,
    nextAttemptAt: row.next_attempt_at,
    deliveredAt: row.status === 'delivered' ? row.finished_at : null,
    transactionId: row.transaction_id,
    payload: row.payload,
    attemptLog,
    eventName: row.event_name ?? null,
    audienceKey: row.audience_key ?? null,
    writeKeySource: row.write_key_source ?? null,
    userId: row.user_id ?? null,
    anonymousId: row.anonymous_id ?? null,
    transaction: rowTransaction(row),
    decisions,
  }
}

/** One event with its whole record: its attempts and decisions (each in id order). */
export function storedEvent(
  row: EventRow<number | boolean>,
  attempts: AttemptDbRow[],
  decisions: DecisionDbRow[],
): StoredEvent {
  return toStored(row, attempts.map(toAttempt), eventDecisions(row, decisions))
}

/** Events with their attempt logs, from the rows of both (attempts in id order). */
export function withAttempts(
  rows: Array<EventRow<number | boolean>>,
  attempts: AttemptDbRow[],
): StoredEvent[] {
  const bySeq = new Map<number, AttemptRow[]>()
  for (const a of attempts) {
    const list = bySeq.get(a.event_seq) ?? []
    list.push(toAttempt(a))
    bySeq.set(a.event_seq, list)
  }
  return rows.map((r) => toStored(r, bySeq.get(r.seq) ?? []))
}
