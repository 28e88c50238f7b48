import { type EventRow, rowTransaction } from '../event-rows.js'
import type { ClaimedEvent, ClaimResult } from '../storage.js'
import { ACTIVE, type PgDb } from './db.js'

type ClaimRow = Partial<EventRow<boolean>> & { next_due: number | null }

/** The columns a claim hands the deliverer (its unknown flag and lease come apart). */
const COLUMNS = [
  'seq',
  'message_id',
  'external_id',
  'email',
  'business_id',
  'location_id',
  'perk_id',
  'send_email',
  'once_per_day',
  'kind',
  'quantity',
  'order_id',
  'event_timestamp',
  'attempts',
  'received_at',
  'first_failed_at',
  'settings_version',
  'payload',
]
const CLAIMED = [...COLUMNS, 'unknown'].join(', ')
const CLAIMED_OF_HEAD = COLUMNS.map((c) => `h.${c}`).join(', ')
const CLAIMED_OF_C = COLUMNS.map((c) => `c.${c}`).join(', ')
// Named, never `*`: statements with a star are not prepared (prepared.ts), so they would be parsed
// and planned again at every claim.
const HEAD_COLUMNS = [...COLUMNS, 'unknown', 'status', 'next_attempt_at'].map((c) => `h.${c}`).join(', ')

export async function claim(db: PgDb, limit: number, now: number, leaseMs: number): Promise<ClaimResult> {
  // One statement, so one round trip: lanes another instance is claiming or completing right now
  // are skipped (SKIP LOCKED), not waited for. A lane without a head goes; a lane whose head is not
  // due yet is re-aimed at it; a due head is leased, and its lane then waits for the lease's end.
  // A head still in flight on a due lane means its lease expired: its fate is unknown. Live lanes
  // go before bulk ones (replays, imports), each in due order (lanes_bulk_due).
  // The same statement tells when the next lane falls due (the lanes it did not take up, as they
  // stand, and the due times it sets), which saves the scheduler a second round trip whenever a
  // claim comes back short.
  // A claim writes no events row: it inserts the lease into the narrow leases table (a row there is
  // what "in flight" means; migration 000010). The head and its lease are read with a row lock, so a
  // completion that committed after this statement began is seen as it now stands, not as it was.
  // Only a head whose lease expired is also written: marked unknown (and, if leased the way of
  // before 000010, given back its queue status), so that its fate is settled by lookup first.
  const res = await db.statement<ClaimRow>(
    `WITH due AS (
       SELECT customer_key FROM lanes WHERE due_at <= $1 ORDER BY bulk, due_at LIMIT $2 FOR UPDATE SKIP LOCKED
     ), heads AS (
       SELECT d.customer_key, ${HEAD_COLUMNS}, (l.seq IS NOT NULL OR h.status = 'in_flight') AS expired,
         (h.seq IS NOT NULL AND (l.seq IS NOT NULL OR h.status = 'in_flight' OR COALESCE(h.next_attempt_at, 0) <= $1)) AS take
       FROM due d LEFT JOIN LATERAL (
         SELECT ${CLAIMED}, status, next_attempt_at FROM events
         WHERE customer_key = d.customer_key AND ${ACTIVE} ORDER BY seq LIMIT 1 FOR KEY SHARE
       ) h ON true
       LEFT JOIN LATERAL (SELECT seq FROM leases WHERE seq = h.seq FOR KEY SHARE) l ON true
     ), emptied AS (
       DELETE FROM lanes WHERE customer_key IN (SELECT customer_key FROM heads WHERE seq IS NULL)
     ), aimed AS (
       UPDATE lanes l SET due_at = CASE WHEN h.take THEN $3::bigint ELSE h.next_attempt_at END
       FROM heads h WHERE l.customer_key = h.customer_key AND h.seq IS NOT NULL
     ), leased AS (
       INSERT INTO leases (seq, lease_id) SELECT seq, nextval('lease_ids') FROM heads WHERE take
       ON CONFLICT (seq) DO UPDATE SET lease_id = excluded.lease_id
       RETURNING seq, lease_id
     ), marked AS (
       UPDATE events e SET unknown = true, lease_id = NULL,
         status = CASE WHEN e.status = 'in_flight' THEN 'retrying' ELSE e.status END
       FROM heads h WHERE h.take AND h.expired AND e.seq = h.seq
     )
     SELECT ${CLAIMED_OF_C}, c.unknown, c.lease_id, n.next_due
     FROM (SELECT LEAST(
       (SELECT MIN(due_at) FROM lanes WHERE customer_key NOT IN (SELECT customer_key FROM due)),
       (SELECT MIN(CASE WHEN take THEN $3::bigint ELSE next_attempt_at END) FROM heads WHERE seq IS NOT NULL)
     ) AS next_due) n LEFT JOIN (
       SELECT ${CLAIMED_OF_HEAD}, (h.unknown OR h.expired) AS unknown, x.lease_id
       FROM leased x JOIN heads h ON h.seq = x.seq
     ) c ON true`,
    [now, Math.max(0, limit), now + leaseMs],
  )
  const claims: ClaimedEvent[] = []
  for (const row of res.rows) {
    if (row.seq === null || row.seq === undefined) continue
    const head = row as EventRow<boolean>
    claims.push({
      id: String(head.seq),
      leaseId: head.lease_id!,
      externalId: head.external_id,
      tx: rowTransaction(head),
      receivedAt: head.received_at,
      attempts: head.attempts,
      unknown: head.unknown,
      firstFailedAt: head.first_failed_at,
      settingsVersion: Number(head.settings_version),
      payload: head.payload,
    })
  }
  return { claims, nextDue: res.rows[0]?.next_due ?? null }
}
