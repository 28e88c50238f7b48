import { type StatsDbRow, toStatsRow } from './event-rows.js'
import type { StatsRow } from './storage.js'

/** Rows per chunk of range statistics. */
export const STATS_CHUNK = 5_000

/**
 * The events received in [from, to), oldest first, a chunk at a time, keyset-paged on
 * (received_at, seq) so events sharing a receive time are neither lost nor repeated. `page` reads
 * up to STATS_CHUNK rows received before `to` and after (lastAt, lastSeq); `pause` runs between chunks.
 */
export async function* scanStats(
  from: number,
  to: number,
  page: (to: number, lastAt: number, lastSeq: number) => Promise<Array<StatsDbRow<number | boolean>>>,
  closed: () => boolean,
  pause: () => Promise<void> = async () => undefined,
): AsyncIterable<StatsRow[]> {
  let lastAt = from - 1
  let lastSeq = Number.MAX_SAFE_INTEGER
  for (;;) {
    if (closed()) return
    const rows = await page(to, lastAt, lastSeq)
    if (rows.length === 0) return
    const last = rows[rows.length - 1]!
    lastAt = last.received_at
    lastSeq = last.seq
    yield rows.map(toStatsRow)
    if (rows.length < STATS_CHUNK) return
    await pause()
  }
}
