import type { ParkingReason } from '../failure-reasons.js'
import type { EventStatus } from '../service-api.js'

/** Which events a replay of failed events reads, a page at a time (oldest first). */
export interface EventConditions {
  status?: EventStatus
  from?: number
  to?: number
  /** seq > afterSeq (oldest-first paging) */
  afterSeq?: number
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
  if (c.from !== undefined) where.push(`received_at >= ${params.add(c.from)}`)
  if (c.to !== undefined) where.push(`received_at < ${params.add(c.to)}`)
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
