import type Database from 'better-sqlite3'
import { STATS_COLUMNS, type StatsDbRow, toStatsRow } from '../event-rows.js'
import type { StatsRow } from '../storage.js'
import { STATS_CHUNK, yieldToLoop } from './paging.js'

/** The events received in [from, to), oldest first, in chunks (keyset paging on received_at, seq). */
export function statsOp(db: Database.Database, closed: () => boolean) {
  const page = db.prepare(
    `SELECT ${STATS_COLUMNS} FROM events INDEXED BY events_received
     WHERE received_at < ? AND (received_at, seq) > (?, ?) ORDER BY received_at, seq LIMIT ${STATS_CHUNK}`,
  )
  return async function* scanForStats(from: number, to: number): AsyncIterable<StatsRow[]> {
    let lastAt = from - 1
    let lastSeq = Number.MAX_SAFE_INTEGER
    for (;;) {
      if (closed()) return
      const rows = page.all(to, lastAt, lastSeq) as Array<StatsDbRow<number>>
      if (rows.length === 0) return
      const last = rows[rows.length - 1]!
      lastAt = last.received_at
      lastSeq = last.seq
      yield rows.map(toStatsRow)
      if (rows.length < STATS_CHUNK) return
      await yieldToLoop()
    }
  }
}
