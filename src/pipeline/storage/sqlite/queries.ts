import type Database from 'better-sqlite3'
import { type AttemptDbRow, type DecisionDbRow, storedEvent, toSeq } from '../event-rows.js'
import type { StoredEvent, WaitingCounts } from '../storage.js'
import { ACTIVE, type SqliteRow } from './lanes.js'

/** What the admin API and the health checks read; nothing here writes. */
export function queryOps(db: Database.Database) {
  const byId = db.prepare(`SELECT * FROM events WHERE seq = ?`)
  const attemptsOf = db.prepare(`SELECT * FROM attempts WHERE event_seq = ? ORDER BY id`)
  const decisionsOf = db.prepare(`SELECT * FROM event_decisions WHERE event_seq = ? ORDER BY id`)
  const waitingCounts = db.prepare(
    `SELECT (SELECT COUNT(*) FROM events INDEXED BY events_retrying WHERE status = 'retrying') AS retrying,
       (SELECT COUNT(*) FROM events INDEXED BY events_parked WHERE status = 'parked') AS parked`,
  )
  const newestWaitingError = db
    .prepare(
      `SELECT last_error FROM events WHERE status IN ('retrying', 'parked') AND last_error IS NOT NULL
       ORDER BY seq DESC LIMIT 1`,
    )
    .pluck()
  const metaGet = db.prepare(`SELECT value FROM store_meta WHERE key = ?`).pluck()
  const metaSet = db.prepare(
    `INSERT INTO store_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
  )
  const depth = db.prepare(`SELECT COUNT(*) AS n FROM events INDEXED BY events_queue WHERE ${ACTIVE}`)
  // Drops are the refusals kept (every one is a row, pruned by the same retention), plus the counts a
  // store from before refusals wrote to drop_counts, until those are pruned.
  const dropTotals = db.prepare(
    `SELECT code, SUM(n) AS n FROM (
       SELECT code, COUNT(*) AS n FROM refusals INDEXED BY refusals_received GROUP BY code
       UNION ALL SELECT code, SUM(count) AS n FROM drop_counts GROUP BY code
     ) GROUP BY code`,
  )

  return {
    getEvent(id: string): StoredEvent | null {
      const seq = toSeq(id)
      if (seq === null) return null
      const row = byId.get(seq) as SqliteRow | undefined
      if (!row) return null
      return storedEvent(row, attemptsOf.all(seq) as AttemptDbRow[], decisionsOf.all(seq) as DecisionDbRow[])
    },

    dropTotals(): Record<string, number> {
      const out: Record<string, number> = {}
      for (const r of dropTotals.all() as Array<{ code: string; n: number }>) out[r.code] = r.n
      return out
    },

    waiting(): WaitingCounts {
      const counts = waitingCounts.get() as { retrying: number; parked: number }
      const lastError =
        counts.retrying + counts.parked > 0
          ? ((newestWaitingError.get() as string | undefined) ?? null)
          : null
      return { ...counts, lastError }
    },

    getMeta(key: string): string | null {
      return (metaGet.get(key) as string | undefined) ?? null
    },

    setMeta(key: string, value: string): void {
      metaSet.run(key, value)
    },

    queueDepth(): number {
      return (depth.get() as { n: number }).n
    },
  }
}
