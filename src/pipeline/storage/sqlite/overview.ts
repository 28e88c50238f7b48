import type Database from 'better-sqlite3'
import type { FailureCount, RefusalCount, StatusCount } from '../storage.js'
import { ACTIVE } from './lanes.js'

/**
 * The console overview's counts. Each reads one index (events_received, refusals_received) over a
 * time range without touching the table rows, so a month of a million events stays well under a second.
 */
export function overviewOps(db: Database.Database) {
  const byStatus = db.prepare(
    `SELECT status, COUNT(*) AS count, SUM(attempts = 1) AS firstTry, SUM(attempts > 0) AS sent
     FROM events INDEXED BY events_received WHERE received_at >= ? AND received_at < ? GROUP BY status`,
  )
  const refusals = db.prepare(
    `SELECT kind, code, COUNT(*) AS count FROM refusals INDEXED BY refusals_received
     WHERE received_at >= ? AND received_at < ? GROUP BY kind, code`,
  )
  const failures = db.prepare(
    `SELECT status, failure_reason AS reason, COUNT(*) AS count FROM events INDEXED BY events_received
     WHERE received_at >= ? AND received_at < ? AND status IN ('failed', 'parked') GROUP BY status, failure_reason`,
  )
  const latencies = db
    .prepare(
      `SELECT latency_ms FROM events INDEXED BY events_received
       WHERE received_at >= ? AND received_at < ? AND status = 'delivered' AND latency_ms IS NOT NULL LIMIT ?`,
    )
    .pluck()
  // The queue is small next to the history; its partial index holds only waiting rows.
  const oldest = db
    .prepare(`SELECT MIN(received_at) FROM events INDEXED BY events_queue WHERE ${ACTIVE}`)
    .pluck()

  return {
    statusCounts: (from: number, to: number) => byStatus.all(from, to) as StatusCount[],
    refusalCounts: (from: number, to: number) => refusals.all(from, to) as RefusalCount[],
    failureCounts: (from: number, to: number) => failures.all(from, to) as FailureCount[],
    latencySample: (from: number, to: number, limit: number) => latencies.all(from, to, limit) as number[],
    oldestWaiting: () => (oldest.get() as number | null) ?? null,
  }
}
