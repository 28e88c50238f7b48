import { EMPTY_LEDGER, inOrderLedger, reserveAgain } from '../../order-ledger.js'
import { replayPicks, retryUnknownSql, SqlParams, whereEvents } from '../event-filter.js'
import { type EventRow, ledgerEvent, rowTransaction, toSeq } from '../event-rows.js'
import type { ReplayRange } from '../storage.js'
import { ACTIVE, type Client, PAGE, type PgDb } from './db.js'
import { aimLanes, setLanes } from './lanes.js'
import { pgStatusCondition } from './leases.js'
import { lockLedgers, writeLedgers } from './ledgers.js'

type Row = EventRow<boolean>

/** A leased event: a row of leases, or (from before migration 000010) an events row in flight. */
const IN_FLIGHT = pgStatusCondition('in_flight')

/**
 * Several live instances share this database, so only work whose lease has expired is taken
 * back (a live instance's leases are left alone); it is marked unknown and settled before any resend.
 */
export async function recoverAbandoned(db: PgDb, now: number): Promise<number> {
  return db.tx(async (c) => {
    const lanes = await c.query<{ customer_key: string }>(
      `SELECT customer_key FROM lanes WHERE due_at <= $1 ORDER BY customer_key FOR UPDATE SKIP LOCKED`,
      [now],
    )
    if (lanes.rows.length === 0) return 0
    const keys = lanes.rows.map((r) => r.customer_key)
    const res = await c.query(
      `WITH heads AS (
         SELECT seq FROM events WHERE customer_key = ANY($2::text[]) AND ${ACTIVE}
           AND ${IN_FLIGHT}
       ), ended AS (
         DELETE FROM leases WHERE seq IN (SELECT seq FROM heads)
       )
       UPDATE events SET status = 'retrying', unknown = true, lease_id = NULL, next_attempt_at = $1
       WHERE seq IN (SELECT seq FROM heads)`,
      [now, keys],
    )
    await aimLanes(c, keys, now)
    return res.rowCount ?? 0
  })
}

export async function retry(db: PgDb, id: string, now: number, bulk = false): Promise<boolean> {
  const seq = toSeq(id)
  if (seq === null) return false
  return db.tx((c) => requeueOne(c, seq, now, bulk))
}

async function requeueOne(c: Client, seq: number, now: number, bulk: boolean): Promise<boolean> {
  const peek = await c.query<{ customer_key: string; status: string }>(
    `SELECT customer_key, status FROM events WHERE seq = $1`,
    [seq],
  )
  const owner = peek.rows[0]
  if (owner?.status !== 'failed' && owner?.status !== 'parked') return false
  // The lane first (same lock order as completions), then the event, re-checked under the lock.
  const lane = await c.query<{ created: boolean }>(
    `INSERT INTO lanes (customer_key, due_at, bulk) VALUES ($1, $2, $3)
     ON CONFLICT (customer_key) DO UPDATE SET due_at = lanes.due_at RETURNING (xmax = 0) AS created`,
    [owner.customer_key, now, bulk],
  )
  const locked = await c.query<Row>(`SELECT * FROM events WHERE seq = $1 FOR UPDATE`, [seq])
  const row = locked.rows[0]
  if (row?.status !== 'failed' && row?.status !== 'parked') {
    if (lane.rows[0]?.created) await aimLanes(c, [owner.customer_key], now)
    return false
  }
  await c.query(
    `UPDATE events SET status = 'retrying', next_attempt_at = $1, failure_reason = NULL, finished_at = NULL,
       first_failed_at = NULL, ${retryUnknownSql('false')} WHERE seq = $2 AND status IN ('failed', 'parked')`,
    [now, seq],
  )
  const ev = ledgerEvent(row)
  if (inOrderLedger(ev) && !row.ledger) {
    const ledgers = await lockLedgers(c, [rowTransaction(row)], now)
    const state = reserveAgain(ledgers.get(ev.orderId, row.perk_id) ?? EMPTY_LEDGER, ev)
    await writeLedgers(c, [{ orderId: ev.orderId, perkId: row.perk_id, state }], now)
    await c.query(`UPDATE events SET ledger = true WHERE seq = $1`, [seq])
  }
  // The re-queued event may now be its customer's head; a lane waiting on a later retry is re-aimed.
  // A lane whose customer has an event in flight keeps its lease: that completion re-aims it.
  const busy = await c.query(
    `SELECT 1 FROM events WHERE customer_key = $1 AND ${ACTIVE}
       AND ${IN_FLIGHT} LIMIT 1`,
    [row.customer_key],
  )
  if (busy.rows.length === 0) await setLanes(c, [{ key: row.customer_key, due: now }])
  return true
}

/** Re-queues failed events received in the range, a page at a time. */
export async function replayFailed(db: PgDb, range: ReplayRange, now: number): Promise<number> {
  let after = 0
  let n = 0
  for (;;) {
    const params = new SqlParams('postgres')
    const where = whereEvents({ status: 'failed', afterSeq: after, from: range.from, to: range.to }, params)
    const res = await db.query<{ seq: number; failure_reason: string | null }>(
      `SELECT seq, failure_reason FROM events ${where} ORDER BY seq LIMIT ${PAGE}`,
      params.values,
    )
    const rows = res.rows
    if (rows.length === 0) break
    after = rows[rows.length - 1]!.seq
    const picked = rows.filter((r) => replayPicks(r.failure_reason, range))
    n += await db.tx(async (c) => {
      let done = 0
      for (const r of picked) if (await requeueOne(c, r.seq, now, true)) done++
      return done
    })
    if (rows.length < PAGE) break
  }
  return n
}
