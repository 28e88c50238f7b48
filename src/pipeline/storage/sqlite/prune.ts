import type Database from 'better-sqlite3'
import type { PruneResult } from '../storage.js'
import { PAGE, yieldToLoop } from './paging.js'

/**
 * Deletes finished events received before the cut-off (with their attempts and drop counts), page
 * by page, and order ledgers untouched since `ledgerBefore`.
 */
export function pruneOp(db: Database.Database) {
  const pruneIds = db
    .prepare(
      `SELECT seq FROM events WHERE received_at < ? AND status IN ('delivered', 'failed', 'skipped') LIMIT ${PAGE}`,
    )
    .pluck()
  const pruneLedger = db.prepare(`DELETE FROM order_ledger WHERE updated_at < ?`)
  const pruneDrops = db.prepare(`DELETE FROM drop_counts WHERE minute < ?`)
  const pruneRefusals = db.prepare(
    `DELETE FROM refusals WHERE seq IN (SELECT seq FROM refusals WHERE received_at < ? LIMIT ${PAGE})`,
  )
  const deletePage = db.transaction((ids: number[]) => {
    const marks = ids.map(() => '?').join(',')
    db.prepare(`DELETE FROM attempts WHERE event_seq IN (${marks})`).run(...ids)
    db.prepare(`DELETE FROM event_decisions WHERE event_seq IN (${marks})`).run(...ids)
    db.prepare(`DELETE FROM events WHERE seq IN (${marks})`).run(...ids)
  })

  return async (deliveredBefore: number, ledgerBefore: number): Promise<PruneResult> => {
    let events = 0
    for (;;) {
      const ids = pruneIds.all(deliveredBefore) as number[]
      if (ids.length === 0) break
      deletePage(ids)
      events += ids.length
      if (ids.length < PAGE) break
      // Pruning a large backlog must not hold up accepts for long.
      await yieldToLoop()
    }
    let refusals = 0
    for (;;) {
      const n = pruneRefusals.run(deliveredBefore).changes
      refusals += n
      if (n < PAGE) break
      await yieldToLoop()
    }
    pruneLedger.run(ledgerBefore)
    pruneDrops.run(Math.floor(deliveredBefore / 60_000))
    return { events, refusals }
  }
}
