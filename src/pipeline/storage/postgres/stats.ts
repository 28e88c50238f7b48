import { STATS_COLUMNS, type StatsDbRow } from '../event-rows.js'
import { STATS_CHUNK, scanStats } from '../stats-scan.js'
import type { StatsRow } from '../storage.js'
import type { PgDb } from './db.js'

/** The events received in [from, to), oldest first, in chunks. */
export function scanForStats(db: PgDb, from: number, to: number): AsyncIterable<StatsRow[]> {
  const page = async (until: number, lastAt: number, lastSeq: number) => {
    const res = await db.query<StatsDbRow<boolean>>(
      `SELECT ${STATS_COLUMNS} FROM events WHERE received_at < $1 AND (received_at, seq) > ($2, $3)
       ORDER BY received_at, seq LIMIT ${STATS_CHUNK}`,
      [until, lastAt, lastSeq],
    )
    return res.rows
  }
  return scanStats(from, to, page, () => db.closed)
}
