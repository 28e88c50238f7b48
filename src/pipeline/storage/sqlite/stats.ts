import type Database from 'better-sqlite3'
import { STATS_COLUMNS, type StatsDbRow } from '../event-rows.js'
import { STATS_CHUNK, scanStats } from '../stats-scan.js'
import type { StatsRow } from '../storage.js'
import { yieldToLoop } from './paging.js'

/** The events received in [from, to), oldest first, in chunks. */
export function statsOp(db: Database.Database, closed: () => boolean) {
  const page = db.prepare(
    `SELECT ${STATS_COLUMNS} FROM events INDEXED BY events_received
     WHERE received_at < ? AND (received_at, seq) > (?, ?) ORDER BY received_at, seq LIMIT ${STATS_CHUNK}`,
  )
  return (from: number, to: number): AsyncIterable<StatsRow[]> =>
    scanStats(
      from,
      to,
      async (until, lastAt, lastSeq) => page.all(until, lastAt, lastSeq) as Array<StatsDbRow<number>>,
      closed,
      yieldToLoop,
    )
}
