import { type AttemptDbRow, type DecisionDbRow, type EventRow, storedEvent, toSeq } from '../event-rows.js'
import type { StoredEvent, WaitingCounts } from '../storage.js'
import { ACTIVE, type PgDb } from './db.js'
import { pgStatusCondition, showLeases } from './leases.js'

type Row = EventRow<boolean>

export async function getEvent(db: PgDb, id: string): Promise<StoredEvent | null> {
  const seq = toSeq(id)
  if (seq === null) return null
  const res = await db.query<Row>(`SELECT * FROM events WHERE seq = $1`, [seq])
  const row = (await showLeases(db, res.rows))[0]
  if (!row) return null
  const attempts = await db.query<AttemptDbRow>(`SELECT * FROM attempts WHERE event_seq = $1 ORDER BY id`, [
    seq,
  ])
  const decisions = await db.query<DecisionDbRow>(
    `SELECT * FROM event_decisions WHERE event_seq = $1 ORDER BY id`,
    [seq],
  )
  return storedEvent(row, attempts.rows, decisions.rows)
}

export async function dropTotals(db: PgDb): Promise<Record<string, number>> {
  const res = await db.query<{ code: string; n: number }>(
    `SELECT code, SUM(n)::bigint AS n FROM (
       SELECT code, COUNT(*) AS n FROM refusals GROUP BY code
       UNION ALL SELECT code, SUM(count) AS n FROM drop_counts GROUP BY code
     ) AS d GROUP BY code`,
  )
  const out: Record<string, number> = {}
  for (const r of res.rows) out[r.code] = r.n
  return out
}

export async function queueDepth(db: PgDb): Promise<number> {
  const res = await db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM events WHERE ${ACTIVE}`)
  return res.rows[0]?.n ?? 0
}

export async function waiting(db: PgDb): Promise<WaitingCounts> {
  const res = await db.query<{ retrying: number; parked: number; last_error: string | null }>(
    `SELECT (SELECT COUNT(*) FROM events WHERE ${pgStatusCondition('retrying')}) AS retrying,
       (SELECT COUNT(*) FROM events WHERE status = 'parked') AS parked,
       (SELECT last_error FROM events WHERE status IN ('retrying', 'parked') AND last_error IS NOT NULL
        ORDER BY seq DESC LIMIT 1) AS last_error`,
  )
  const r = res.rows[0]
  return {
    retrying: Number(r?.retrying ?? 0),
    parked: Number(r?.parked ?? 0),
    lastError: r?.last_error ?? null,
  }
}

export async function getMeta(db: PgDb, key: string): Promise<string | null> {
  const res = await db.query<{ value: string }>(`SELECT value FROM store_meta WHERE key = $1`, [key])
  return res.rows[0]?.value ?? null
}

export async function setMeta(db: PgDb, key: string, value: string): Promise<void> {
  await db.query(
    `INSERT INTO store_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    [key, value],
  )
}
