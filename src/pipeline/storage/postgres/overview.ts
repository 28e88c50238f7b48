import type { FailureCount, RefusalCount, StatusCount } from '../storage.js'
import { ACTIVE, type PgDb } from './db.js'

/*
 * The console overview's counts, each from one index over a time range (events_received carries
 * status, attempts and latency, so PostgreSQL can answer from the index alone).
 */

export async function statusCounts(db: PgDb, from: number, to: number): Promise<StatusCount[]> {
  const res = await db.query<StatusCount>(
    `SELECT status, COUNT(*)::int AS count, COUNT(*) FILTER (WHERE attempts = 1)::int AS "firstTry",
       COUNT(*) FILTER (WHERE attempts > 0)::int AS sent
     FROM events WHERE received_at >= $1 AND received_at < $2 GROUP BY status`,
    [from, to],
  )
  // Leased events are counted by their queue status above; readers see them in flight (leases.ts).
  const leased = await db.query<StatusCount>(
    `SELECT e.status, COUNT(*)::int AS count, COUNT(*) FILTER (WHERE e.attempts = 1)::int AS "firstTry",
       COUNT(*) FILTER (WHERE e.attempts > 0)::int AS sent
     FROM leases l JOIN events e ON e.seq = l.seq
     WHERE e.received_at >= $1 AND e.received_at < $2 AND e.status IN ('pending', 'retrying') GROUP BY e.status`,
    [from, to],
  )
  return moveToInFlight(res.rows, leased.rows)
}

function moveToInFlight(counts: StatusCount[], leased: StatusCount[]): StatusCount[] {
  const by = new Map(counts.map((c) => [c.status, { ...c }]))
  for (const l of leased) {
    const into = by.get('in_flight') ?? { status: 'in_flight', count: 0, firstTry: 0, sent: 0 }
    const from = by.get(l.status)
    if (!from) continue
    for (const k of ['count', 'firstTry', 'sent'] as const) {
      from[k] -= l[k]
      into[k] += l[k]
    }
    by.set('in_flight', into)
  }
  return [...by.values()].filter((c) => c.count > 0)
}

export async function refusalCounts(db: PgDb, from: number, to: number): Promise<RefusalCount[]> {
  const res = await db.query<RefusalCount>(
    `SELECT kind, code, COUNT(*)::int AS count FROM refusals
     WHERE received_at >= $1 AND received_at < $2 GROUP BY kind, code`,
    [from, to],
  )
  return res.rows
}

export async function failureCounts(db: PgDb, from: number, to: number): Promise<FailureCount[]> {
  const res = await db.query<FailureCount>(
    `SELECT status, failure_reason AS reason, COUNT(*)::int AS count FROM events
     WHERE received_at >= $1 AND received_at < $2 AND status IN ('failed', 'parked', 'skipped')
     GROUP BY status, failure_reason`,
    [from, to],
  )
  return res.rows
}

export async function latencySample(db: PgDb, from: number, to: number, limit: number): Promise<number[]> {
  const res = await db.query<{ latency_ms: number }>(
    `SELECT latency_ms FROM events WHERE received_at >= $1 AND received_at < $2 AND status = 'delivered'
       AND latency_ms IS NOT NULL LIMIT $3`,
    [from, to, limit],
  )
  return res.rows.map((r) => r.latency_ms)
}

export async function oldestWaiting(db: PgDb): Promise<number | null> {
  const res = await db.query<{ at: number | null }>(
    `SELECT MIN(received_at) AS at FROM events WHERE ${ACTIVE}`,
  )
  return res.rows[0]?.at ?? null
}
