import type Database from 'better-sqlite3'
import { EVENT_STATUSES } from '../../service-api.js'
import type { FailureCount, RefusalCount, StatusCount } from '../storage.js'
import { ACTIVE } from './lanes.js'

/**
 * The console overview's counts. Each status of a range is one contiguous stretch of events_status
 * (status, received_at, attempts, latency_ms), counted without reading a table row or sorting, so a
 * month of a million events stays well under a second.
 */
export function overviewOps(db: Database.Database) {
  // Written per status as a literal, so SQLite can prove the partial reads stay in the index.
  const countOf = new Map(
    EVENT_STATUSES.map((status) => [
      status,
      db.prepare(
        `SELECT COUNT(*) AS count, COALESCE(SUM(attempts = 1), 0) AS firstTry, COALESCE(SUM(attempts > 0), 0) AS sent
           FROM events INDEXED BY events_status WHERE status = '${status}' AND received_at >= ? AND received_at < ?`,
      ),
    ]),
  )
  const refusals = db.prepare(
    `SELECT kind, code, COUNT(*) AS count FROM refusals INDEXED BY refusals_received
     WHERE received_at >= ? AND received_at < ? GROUP BY kind, code`,
  )
  const failures = db.prepare(
    `SELECT status, failure_reason AS reason, COUNT(*) AS count FROM events INDEXED BY events_status
     WHERE status IN ('failed', 'parked', 'skipped') AND received_at >= ? AND received_at < ? GROUP BY status, failure_reason`,
  )
  const latencies = db
    .prepare(
      `SELECT latency_ms FROM events INDEXED BY events_status
       WHERE status = 'delivered' AND received_at >= ? AND received_at < ? AND latency_ms IS NOT NULL LIMIT ?`,
    )
    .pluck()
  // The queue is small next to the history; its partial index holds only waiting rows.
  const oldest = db
    .prepare(`SELECT MIN(received_at) FROM events INDEXED BY events_queue WHERE ${ACTIVE}`)
    .pluck()

  return {
    statusCounts(from: number, to: number): StatusCount[] {
      const out: StatusCount[] = []
      for (const [status, stmt] of countOf) {
        const c = stmt.get(from, to) as Omit<StatusCount, 'status'>
        if (c.count > 0) out.push({ status, ...c })
      }
      return out
    },
    refusalCounts: (from: number, to: number) => refusals.all(from, to) as RefusalCount[],
    failureCounts: (from: number, to: number) => failures.all(from, to) as FailureCount[],
    latencySample: (from: number, to: number, limit: number) => latencies.all(from, to, limit) as number[],
    oldestWaiting: () => (oldest.get() as number | null) ?? null,
  }
}
