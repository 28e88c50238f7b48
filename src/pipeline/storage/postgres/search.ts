import { type AttemptDbRow, type EventRow, withAttempts } from '../event-rows.js'
import { type RefusalRow, refusalSeq, toRefusal } from '../refusal-rows.js'
import { compareHits, searchSelects } from '../search-sql.js'
import type { SearchFilter, SearchHit, StoredRefusal } from '../storage.js'
import type { PgDb } from './db.js'

type Row = EventRow<boolean>

async function rowsOf<T extends { seq: number }>(
  db: PgDb,
  table: 'events' | 'refusals',
  f: SearchFilter,
): Promise<T[]> {
  const seen = new Map<number, T>()
  for (const q of searchSelects(table, f, 'postgres')) {
    for (const row of (await db.query<T>(q.sql, q.values)).rows) seen.set(row.seq, row)
  }
  return [...seen.values()]
}

/** The console's search over both tables, merged newest first. */
export async function search(db: PgDb, f: SearchFilter): Promise<SearchHit[]> {
  const events = await rowsOf<Row>(db, 'events', f)
  const refusals = await rowsOf<RefusalRow>(db, 'refusals', f)
  const keyed = [
    ...events.map((row) => ({ receivedAt: row.received_at, table: 1 as const, seq: row.seq, row })),
    ...refusals.map((row) => ({ receivedAt: row.received_at, table: 0 as const, seq: row.seq, row })),
  ]
    .sort(compareHits)
    .slice(0, f.limit)
  const eventRows = keyed.filter((k) => k.table === 1).map((k) => k.row as Row)
  const attempts =
    eventRows.length === 0
      ? []
      : (
          await db.query<AttemptDbRow>(
            `SELECT * FROM attempts WHERE event_seq = ANY($1::bigint[]) ORDER BY id`,
            [eventRows.map((r) => r.seq)],
          )
        ).rows
  const stored = new Map(withAttempts(eventRows, attempts).map((e) => [e.id, e]))
  return keyed.map((k) =>
    k.table === 1 ? { event: stored.get(String(k.seq))! } : { refusal: toRefusal(k.row as RefusalRow) },
  )
}

export async function getRefusal(db: PgDb, id: string): Promise<StoredRefusal | null> {
  const seq = refusalSeq(id)
  if (seq === null) return null
  const row = (await db.query<RefusalRow>(`SELECT * FROM refusals WHERE seq = $1`, [seq])).rows[0]
  return row ? toRefusal(row) : null
}
