import type Database from 'better-sqlite3'
import { EMPTY_LEDGER, inOrderLedger, reserveAgain } from '../../order-ledger.js'
import { replayPicks, retryUnknownSql, SqlParams, whereEvents } from '../event-filter.js'
import { ledgerEvent, toSeq } from '../event-rows.js'
import type { ReplayRange } from '../storage.js'
import { ACTIVE, type Lanes } from './lanes.js'
import type { Ledgers } from './ledgers.js'
import { PAGE, yieldToLoop } from './paging.js'

/** Puts work back in the queue: abandoned in-flight rows at start, and failed events an operator retries. */
export interface RequeueOps {
  recoverAbandoned(now: number): number
  /** `bulk`: one of a replay's events, claimed after live traffic. */
  retry(id: string, now: number, bulk?: boolean): boolean
  replayFailed(range: ReplayRange, now: number): Promise<number>
}

export function requeueOps(db: Database.Database, lanes: Lanes, ledgers: Ledgers): RequeueOps {
  const inFlightLanes = db.prepare(
    `SELECT DISTINCT customer_key FROM events INDEXED BY events_queue WHERE ${ACTIVE} AND status = 'in_flight'`,
  )
  const recover = db.prepare(
    `UPDATE events INDEXED BY events_queue SET status = 'retrying', unknown = 1, lease_id = NULL, next_attempt_at = ?
     WHERE ${ACTIVE} AND status = 'in_flight'`,
  )
  const requeue = db.prepare(
    `UPDATE events SET status = 'retrying', next_attempt_at = ?, failure_reason = NULL, finished_at = NULL,
       first_failed_at = NULL, ${retryUnknownSql('0')} WHERE seq = ? AND status IN ('failed', 'parked')`,
  )
  const reserve = db.prepare(`UPDATE events SET ledger = 1 WHERE seq = ?`)

  const requeueOne = (seq: number, now: number, bulk: boolean): boolean => {
    const row = lanes.event(seq)
    if (row?.status !== 'failed' && row?.status !== 'parked') return false
    requeue.run(now, seq)
    const ev = ledgerEvent(row)
    if (inOrderLedger(ev) && row.ledger === 0) {
      ledgers.put(
        ev.orderId,
        row.perk_id,
        reserveAgain(ledgers.get(ev.orderId, row.perk_id) ?? EMPTY_LEDGER, ev),
        now,
      )
      reserve.run(seq)
    }
    lanes.add(row.customer_key, now, bulk)
    // The re-queued event may now be its customer's head; a lane waiting on a later retry is re-aimed.
    // A lane whose customer has an event in flight keeps its lease: that completion re-aims it.
    if (!lanes.hasInFlight(row.customer_key)) lanes.set(row.customer_key, now)
    return true
  }
  const requeueMany = db.transaction(
    (seqs: number[], now: number, bulk: boolean) => seqs.filter((s) => requeueOne(s, now, bulk)).length,
  )

  const recoverAll = db.transaction((now: number): number => {
    const owners = inFlightLanes.all() as Array<{ customer_key: string }>
    const n = recover.run(now).changes
    for (const { customer_key } of owners) lanes.set(customer_key, now)
    return n
  })

  return {
    /** SQLite is one process: every in-flight row was abandoned by a crash and is settled before any resend. */
    recoverAbandoned: (now) => recoverAll(now),

    retry(id: string, now: number, bulk = false): boolean {
      const seq = toSeq(id)
      return seq !== null && requeueMany([seq], now, bulk) === 1
    },

    /** Paged by seq over the failed-only index, so a large replay never sits in memory at once. */
    async replayFailed(range: ReplayRange, now: number): Promise<number> {
      let after = 0
      let n = 0
      for (;;) {
        const params = new SqlParams('sqlite')
        const where = whereEvents(
          { status: 'failed', afterSeq: after, from: range.from, to: range.to },
          params,
        )
        const rows = db
          .prepare(
            `SELECT seq, failure_reason FROM events INDEXED BY events_failed ${where} ORDER BY seq LIMIT ${PAGE}`,
          )
          .all(...params.values) as Array<{ seq: number; failure_reason: string | null }>
        if (rows.length === 0) break
        after = rows[rows.length - 1]!.seq
        n += requeueMany(
          rows.filter((r) => replayPicks(r.failure_reason, range)).map((r) => r.seq),
          now,
          true,
        )
        if (rows.length < PAGE) break
        await yieldToLoop()
      }
      return n
    },
  }
}
