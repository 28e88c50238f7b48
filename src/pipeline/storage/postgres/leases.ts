/**
 * Leases live in their own narrow table (migration 000010): a leased event keeps its queue status
 * (pending or retrying) in its row. Readers show it as in flight, as before; these are the two
 * places that say how, for rows read back and for a filter on status.
 */
import type { EventStatus } from '../../service-api.js'
import { literalStatus } from '../search-sql.js'
import type { PgDb } from './db.js'

/** Marks the rows whose events are leased right now as in flight (one read of the leases table). */
export async function showLeases<R extends { seq: number; status: EventStatus; lease_id: number | null }>(
  db: PgDb,
  rows: R[],
): Promise<R[]> {
  const queued = rows.filter((r) => r.status === 'pending' || r.status === 'retrying')
  if (queued.length === 0) return rows
  const res = await db.query<{ seq: number; lease_id: number }>(
    `SELECT seq, lease_id FROM leases WHERE seq = ANY($1::bigint[])`,
    [queued.map((r) => r.seq)],
  )
  const leased = new Map(res.rows.map((l) => [Number(l.seq), l.lease_id]))
  for (const r of queued) {
    const lease = leased.get(Number(r.seq))
    if (lease === undefined) continue
    r.status = 'in_flight'
    r.lease_id = lease
  }
  return rows
}

/** The WHERE condition of events in one status, as readers see it. */
export function pgStatusCondition(status: EventStatus): string {
  const literal = literalStatus(status)
  if (status === 'in_flight') return `(${literal} OR seq IN (SELECT seq FROM leases))`
  if (status === 'pending' || status === 'retrying')
    return `${literal} AND seq NOT IN (SELECT seq FROM leases)`
  return literal
}
