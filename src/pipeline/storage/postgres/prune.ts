import type { PruneResult } from '../storage.js'
import { PAGE, type PgDb } from './db.js'

export async function prune(db: PgDb, deliveredBefore: number, ledgerBefore: number): Promise<PruneResult> {
  let events = 0
  for (;;) {
    // SKIP LOCKED: another instance pruning at the same time takes other rows instead of waiting.
    const n = await db.tx(async (c) => {
      const res = await c.query(
        `WITH doomed AS (
           SELECT seq FROM events WHERE received_at < $1 AND status IN ('delivered', 'failed', 'skipped')
           LIMIT ${PAGE} FOR UPDATE SKIP LOCKED
         ), gone AS (
           DELETE FROM attempts WHERE event_seq IN (SELECT seq FROM doomed)
         ), forgotten AS (
           DELETE FROM event_decisions WHERE event_seq IN (SELECT seq FROM doomed)
         )
         DELETE FROM events WHERE seq IN (SELECT seq FROM doomed)`,
        [deliveredBefore],
      )
      return res.rowCount ?? 0
    })
    events += n
    if (n < PAGE) break
  }
  let refusals = 0
  for (;;) {
    const res = await db.query(
      `DELETE FROM refusals WHERE seq IN (SELECT seq FROM refusals WHERE received_at < $1 LIMIT ${PAGE})`,
      [deliveredBefore],
    )
    refusals += res.rowCount ?? 0
    if ((res.rowCount ?? 0) < PAGE) break
  }
  await db.query(`DELETE FROM dedup WHERE received_at < $1`, [deliveredBefore])
  await db.query(`DELETE FROM order_ledger WHERE updated_at < $1`, [ledgerBefore])
  await db.query(`DELETE FROM drop_counts WHERE minute < $1`, [Math.floor(deliveredBefore / 60_000)])
  return { events, refusals }
}
