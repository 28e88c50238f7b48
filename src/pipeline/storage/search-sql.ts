import type { EventStatus } from '../service-api.js'
import { SqlParams } from './event-filter.js'
import type { SearchCursor, SearchFilter } from './storage.js'

/** The two tables a search reads: accepted events (1) and refusals (0), in that order within a time. */
export type SearchTable = 'events' | 'refusals'
export const TABLE_RANK: Record<SearchTable, 0 | 1> = { events: 1, refusals: 0 }
const REFUSED_STATUS = { skipped: 'skip', rejected: 'reject' } as const

/** One way `q` may match: a column of the table and the value it must equal. */
interface Match {
  column: string
  value: string
}

/**
 * The SELECTs of one search on one table (one per way `q` may match, so each uses its own index),
 * or none when the filter rules the table out. Both stores run these; the caller merges the rows.
 */
export function searchSelects(
  table: SearchTable,
  f: SearchFilter,
  dialect: 'sqlite' | 'postgres',
  statusCondition: (status: EventStatus) => string = literalStatus,
): Array<{ sql: string; values: unknown[] }> {
  const refusedKind =
    f.status !== undefined ? (REFUSED_STATUS as Record<string, string | undefined>)[f.status] : undefined
  if (table === 'refusals' && (f.kind !== undefined || (f.status !== undefined && !refusedKind))) return []
  // Rejects are the door's alone; a skip can also be Perkville's, at delivery (DAILY_LIMIT_REACHED).
  if (table === 'events' && refusedKind === 'reject') return []
  const matches: Array<Match | null> =
    f.q === undefined
      ? [null]
      : [
          { column: 'customer_key', value: f.q.trim().toLowerCase() },
          { column: 'order_id', value: f.q },
          { column: 'message_id', value: f.q },
          { column: 'user_id', value: f.q },
          { column: 'anonymous_id', value: f.q },
        ]
  return matches.map((match) => {
    const params = new SqlParams(dialect)
    const where: string[] = []
    if (match) where.push(matchCondition(table, match, params))
    if (f.customerKey !== undefined) where.push(`customer_key = ${params.add(f.customerKey)}`)
    if (f.orderId !== undefined) where.push(`order_id = ${params.add(f.orderId)}`)
    if (f.messageId !== undefined)
      where.push(matchCondition(table, { column: 'message_id', value: f.messageId }, params))
    if (table === 'events') {
      if (f.status !== undefined) where.push(statusCondition(f.status))
      if (f.code !== undefined) where.push(`failure_reason = ${params.add(f.code)}`)
      if (f.kind !== undefined) where.push(`kind = ${params.add(f.kind)}`)
    } else {
      if (refusedKind !== undefined) where.push(`kind = '${refusedKind}'`)
      if (f.code !== undefined) where.push(`code = ${params.add(f.code)}`)
    }
    if (f.from !== undefined) where.push(`received_at >= ${params.add(f.from)}`)
    if (f.to !== undefined) where.push(`received_at < ${params.add(f.to)}`)
    if (f.after !== undefined) where.push(cursorCondition(TABLE_RANK[table], f.after, params))
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''
    return {
      sql: `SELECT * FROM ${table} ${clause} ORDER BY received_at DESC, seq DESC LIMIT ${params.add(f.limit)}`,
      values: params.values,
    }
  })
}

/** A literal, as in event-filter.ts: the planner can then use the partial indexes on status. */
export function literalStatus(status: EventStatus): string {
  return `status = '${status.replaceAll("'", "''")}'`
}

function matchCondition(table: SearchTable, m: Match, params: SqlParams): string {
  // An accepted event's external id is its messageId whenever it has one, and that one is indexed.
  if (table === 'events' && m.column === 'message_id') {
    const v = params.add(m.value)
    return `external_id = ${v} AND message_id = ${params.add(m.value)}`
  }
  return `${m.column} = ${params.add(m.value)}`
}

/** Rows strictly after the cursor in (received_at DESC, table rank DESC, seq DESC) order. */
function cursorCondition(rank: 0 | 1, c: SearchCursor, params: SqlParams): string {
  if (rank < c.table) return `received_at <= ${params.add(c.receivedAt)}`
  if (rank > c.table) return `received_at < ${params.add(c.receivedAt)}`
  const at = params.add(c.receivedAt)
  return `(received_at < ${at} OR (received_at = ${params.add(c.receivedAt)} AND seq < ${params.add(c.seq)}))`
}
