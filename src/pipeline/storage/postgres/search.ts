import type { AttemptDbRow, EventRow } from '../event-rows.js'
import { type RefusalRow, refusalSeq, toRefusal } from '../refusal-rows.js'
import { mergeSearch } from '../search-merge.js'
import { type SearchTable, searchSelects } from '../search-sql.js'
import type { SearchFilter, SearchHit, StoredRefusal } from '../storage.js'
import type { PgDb } from './db.js'
import { pgStatusCondition, showLeases } from './leases.js'

async function rowsOf<T extends object>(db: PgDb, table: SearchTable, f: SearchFilter): Promise<T[][]> {
  const lists: T[][] = []
  for (const q of searchSelects(table, f, 'postgres', pgStatusCondition))
    lists.push((await db.query<T>(q.sql, q.values)).rows)
  return lists
}

/** The console's search over both tables, merged newest first. */
export async function search(db: PgDb, f: SearchFilter): Promise<SearchHit[]> {
  const events = await rowsOf<EventRow<boolean>>(db, 'events', f)
  // One read of the leases for every list (a row found by two of them is the same object).
  await showLeases(db, events.flat())
  const merged = mergeSearch(events, await rowsOf<RefusalRow>(db, 'refusals', f), f.limit)
  const attempts =
    merged.eventSeqs.length === 0
      ? []
      : (
          await db.query<AttemptDbRow>(
            `SELECT * FROM attempts WHERE event_seq = ANY($1::bigint[]) ORDER BY id`,
            [merged.eventSeqs],
          )
        ).rows
  return merged.hits(attempts)
}

export async function getRefusal(db: PgDb, id: string): Promise<StoredRefusal | null> {
  const seq = refusalSeq(id)
  if (seq === null) return null
  const row = (await db.query<RefusalRow>(`SELECT * FROM refusals WHERE seq = $1`, [seq])).rows[0]
  return row ? toRefusal(row) : null
}
