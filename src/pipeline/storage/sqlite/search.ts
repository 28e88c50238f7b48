import type Database from 'better-sqlite3'
import type { AttemptDbRow } from '../event-rows.js'
import { type RefusalRow, refusalSeq, toRefusal } from '../refusal-rows.js'
import { mergeSearch } from '../search-merge.js'
import { type SearchTable, searchSelects } from '../search-sql.js'
import type { SearchFilter, SearchHit, StoredRefusal } from '../storage.js'
import type { SqliteRow } from './lanes.js'

/** The console's search over both tables, merged newest first; and one refusal by id. */
export function searchOps(db: Database.Database) {
  const refusalById = db.prepare(`SELECT * FROM refusals WHERE seq = ?`)
  const rowsOf = <T>(table: SearchTable, f: SearchFilter): T[][] =>
    searchSelects(table, f, 'sqlite').map((q) => db.prepare(q.sql).all(...q.values) as T[])

  return {
    search(f: SearchFilter): SearchHit[] {
      const merged = mergeSearch(rowsOf<SqliteRow>('events', f), rowsOf<RefusalRow>('refusals', f), f.limit)
      const seqs = merged.eventSeqs
      const attempts =
        seqs.length === 0
          ? []
          : (db
              .prepare(
                `SELECT * FROM attempts WHERE event_seq IN (${seqs.map(() => '?').join(',')}) ORDER BY id`,
              )
              .all(...seqs) as AttemptDbRow[])
      return merged.hits(attempts)
    },

    getRefusal(id: string): StoredRefusal | null {
      const seq = refusalSeq(id)
      if (seq === null) return null
      const row = refusalById.get(seq) as RefusalRow | undefined
      return row ? toRefusal(row) : null
    },
  }
}
