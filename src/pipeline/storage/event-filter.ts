import type { ParkingReason } from '../failure-reasons.js'
import { toSeq } from './event-rows.js'
import type { EventFilter } from './storage.js'

/** Which events to read: the admin search (EventFilter) and the replay of failed events both say it this way. */
export type EventConditions = Omit<EventFilter, 'limit' | 'beforeId'> & {
  /** seq < beforeSeq (newest-first paging) */
  beforeSeq?: number
  /** seq > afterSeq (oldest-first paging) */
  afterSeq?: number
}

/** The conditions of an admin search; null when it can match nothing (a cursor that names no event). */
export function searchConditions(f: EventFilter): EventConditions | null {
  const { limit: _limit, beforeId, ...rest } = f
  if (beforeId === undefined) return rest
  const beforeSeq = toSeq(beforeId)
  return beforeSeq === null ? null : { ...rest, beforeSeq }
}

/** Collects bound values; the dialect only decides how a placeholder is written. */
export class SqlParams {
  readonly values: unknown[] = []

  constructor(private readonly dialect: 'sqlite' | 'postgres') {}

  add(value: unknown): string {
    this.values.push(value)
    return this.dialect === 'sqlite' ? '?' : `$${this.values.length}`
  }
}

/** The WHERE clause (empty when nothing is asked) for these conditions, binding into `params`. */
export function whereEvents(c: EventConditions, params: SqlParams): string {
  const where: string[] = []
  // The status is written as a literal, not bound: the planner can then prove that a partial index
  // (`WHERE status = 'failed'`) covers the query, which SQLite's INDEXED BY insists on.
  if (c.status !== undefined) where.push(`status = '${c.status.replaceAll("'", "''")}'`)
  if (c.customerKey !== undefined) where.push(`customer_key = ${params.add(c.customerKey)}`)
  if (c.messageId !== undefined) {
    // The external id is the messageId whenever there is one, and it is indexed.
    where.push(`external_id = ${params.add(c.messageId)} AND message_id = ${params.add(c.messageId)}`)
  }
  if (c.orderId !== undefined) where.push(`order_id = ${params.add(c.orderId)}`)
  if (c.from !== undefined) where.push(`received_at >= ${params.add(c.from)}`)
  if (c.to !== undefined) where.push(`received_at < ${params.add(c.to)}`)
  if (c.beforeSeq !== undefined) where.push(`seq < ${params.add(c.beforeSeq)}`)
  if (c.afterSeq !== undefined) where.push(`seq > ${params.add(c.afterSeq)}`)
  return where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''
}

/** Whether a failed event's reason is one a replay asked for. */
export function replayPicks(
  reason: string | null,
  range: { reasons: string[] | null; excludeReasons: string[] },
): boolean {
  const r = reason ?? ''
  return range.reasons !== null ? range.reasons.includes(r) : !range.excludeReasons.includes(r)
}

/**
 * An operator's retry of an event parked `cannot_settle` is the operator's word that Perkville has
 * no such transaction: it is sent again (same trans_source_id) instead of being looked up again.
 * Every other retried event keeps its unknown mark and is settled first. `no` is the dialect's false.
 */
export function retryUnknownSql(no: '0' | 'false'): string {
  const cannotSettle: ParkingReason = 'cannot_settle'
  return `unknown = CASE WHEN failure_reason = '${cannotSettle}' THEN ${no} ELSE unknown END`
}
