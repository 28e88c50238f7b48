import type { PgDb } from './db.js'
import { aimLanes } from './lanes.js'

/**
 * A settings change takes every parked event back into the queue (see the SQLite module of the same
 * name). Lanes are created or locked in key order before their events change, as accepts do.
 */
export async function unpark(db: PgDb, now: number, before: number): Promise<number> {
  return db.tx(async (c) => {
    const owners = await c.query<{ customer_key: string }>(
      `SELECT DISTINCT customer_key FROM events WHERE status = 'parked' AND settings_version < $1
       ORDER BY customer_key`,
      [before],
    )
    const keys = owners.rows.map((r) => r.customer_key)
    if (keys.length === 0) return 0
    await c.query(
      `INSERT INTO lanes (customer_key, due_at) SELECT k, $2 FROM unnest($1::text[]) AS u(k) ORDER BY k
       ON CONFLICT (customer_key) DO UPDATE SET due_at = lanes.due_at`,
      [keys, now],
    )
    const res = await c.query(
      `UPDATE events SET status = 'pending', next_attempt_at = $1, failure_reason = NULL
       WHERE status = 'parked' AND settings_version < $3 AND customer_key = ANY($2::text[])`,
      [now, keys, before],
    )
    await aimLanes(c, keys, now)
    return res.rowCount ?? 0
  })
}
