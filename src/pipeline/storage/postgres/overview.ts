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
  return res.rows
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
