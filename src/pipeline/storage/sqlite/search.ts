import type Database from 'better-sqlite3'
import { type AttemptDbRow, withAttempts } from '../event-rows.js'
import { type RefusalRow, refusalSeq, toRefusal } from '../refusal-rows.js'
import { compareHits, searchSelects } from '../search-sql.js'
import type { SearchFilter, SearchHit, StoredRefusal } from '../storage.js'
import type { SqliteRow } from './lanes.js'

/** The console's search over both tables, merged newest first; and one refusal by id. */
export function searchOps(db: Database.Database) {
  const refusalById = db.prepare(`SELECT * FROM refusals WHERE seq = ?`)

  const rowsOf = <T>(table: 'events' | 'refusals', f: SearchFilter): T[] => {
    const seen = new Map<number, T>()
    for (const q of searchSelects(table, f, 'sqlite')) {
      for (const row of db.prepare(q.sql).all(...q.values) as Array<T & { seq: number }>)
        seen.set(row.seq, row)
    }
    return [...seen.values()]
  }

  return {
    search(f: SearchFilter): SearchHit[] {
      const events = rowsOf<SqliteRow>('events', f)
      const refusals = rowsOf<RefusalRow>('refusals', f)
      const keyed = [
        ...events.map((row) => ({ receivedAt: row.received_at, table: 1 as const, seq: row.seq, row })),
        ...refusals.map((row) => ({ receivedAt: row.received_at, table: 0 as const, seq: row.seq, row })),
      ]
        .sort(compareHits)
        .slice(0, f.limit)
      const eventRows = keyed.filter((k) => k.table === 1).map((k) => k.row as SqliteRow)
      const attempts =
        eventRows.length === 0
          ? []
          : (db
              .prepare(
                `SELECT * FROM attempts WHERE event_seq IN (${eventRows.map(() => '?').join(',')}) ORDER BY id`,
              )
              .all(...eventRows.map((r) => r.seq)) as AttemptDbRow[])
      const stored = new Map(withAttempts(eventRows, attempts).map((e) => [e.id, e]))
      return keyed.map((k) =>
        k.table === 1 ? { event: stored.get(String(k.seq))! } : { refusal: toRefusal(k.row as RefusalRow) },
      )
    },

    getRefusal(id: string): StoredRefusal | null {
      const seq = refusalSeq(id)
      if (seq === null) return null
      const row = refusalById.get(seq) as RefusalRow | undefined
      return row ? toRefusal(row) : null
    },
  }
}
