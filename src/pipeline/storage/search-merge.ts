import { type AttemptDbRow, type EventRow, withAttempts } from './event-rows.js'
import { type RefusalRow, toRefusal } from './refusal-rows.js'
import { TABLE_RANK } from './search-sql.js'
import type { SearchHit } from './storage.js'

type AnyEventRow = EventRow<number | boolean>

/** Newest first: receivedAt, then accepted before refused, then store order. */
export function compareHits(
  a: { receivedAt: number; table: 0 | 1; seq: number },
  b: { receivedAt: number; table: 0 | 1; seq: number },
): number {
  return b.receivedAt - a.receivedAt || b.table - a.table || b.seq - a.seq
}

/**
 * One page of a search from the rows each of its SELECTs returned (per table, one list per way `q`
 * may match, so a row found twice counts once): the newest `limit`, and the seqs of the accepted
 * events among them, whose attempts the store reads to make the hits.
 */
export function mergeSearch(
  events: AnyEventRow[][],
  refusals: RefusalRow[][],
  limit: number,
): { eventSeqs: number[]; hits: (attempts: AttemptDbRow[]) => SearchHit[] } {
  const keyed = [
    ...bySeq(events).map((row) => ({ table: TABLE_RANK.events, row })),
    ...bySeq(refusals).map((row) => ({ table: TABLE_RANK.refusals, row })),
  ]
    .map((k) => ({ ...k, receivedAt: k.row.received_at, seq: k.row.seq }))
    .sort(compareHits)
    .slice(0, limit)
  const eventRows = keyed.flatMap((k) => (k.table === TABLE_RANK.events ? [k.row as AnyEventRow] : []))
  return {
    eventSeqs: eventRows.map((r) => r.seq),
    hits(attempts) {
      const stored = new Map(withAttempts(eventRows, attempts).map((e) => [e.id, e]))
      return keyed.map((k) =>
        k.table === TABLE_RANK.events
          ? { event: stored.get(String(k.row.seq))! }
          : { refusal: toRefusal(k.row as RefusalRow) },
      )
    },
  }
}

function bySeq<T extends { seq: number }>(lists: T[][]): T[] {
  const seen = new Map<number, T>()
  for (const row of lists.flat()) seen.set(row.seq, row)
  return [...seen.values()]
}
