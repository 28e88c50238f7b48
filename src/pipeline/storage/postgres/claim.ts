import { type EventRow, rowTransaction } from '../event-rows.js'
import type { ClaimedEvent, ClaimResult } from '../storage.js'
import { ACTIVE, type PgDb } from './db.js'

type ClaimRow = Partial<EventRow<boolean>> & { next_due: number | null }

export async function claim(db: PgDb, limit: number, now: number, leaseMs: number): Promise<ClaimResult> {
  // One statement, so one round trip: lanes another instance is claiming or completing right now
  // are skipped (SKIP LOCKED), not waited for. A lane without a head goes; a lane whose head is not
  // due yet is re-aimed at it; a due head is leased, and its lane then waits for the lease's end.
  // A head still in flight on a due lane means its lease expired: its fate is unknown. Live lanes
  // go before bulk ones (replays, imports), each in due order (lanes_bulk_due).
  // The same statement tells when the next lane falls due (the lanes it did not take up, as they
  // stand, and the due times it sets), which saves the scheduler a second round trip whenever a
  // claim comes back short.
  const res = await db.statement<ClaimRow>(
    `WITH due AS (
       SELECT customer_key FROM lanes WHERE due_at <= $1 ORDER BY bulk, due_at LIMIT $2 FOR UPDATE SKIP LOCKED
     ), heads AS (
       SELECT d.customer_key, h.seq, h.status, h.next_attempt_at, h.unknown,
         (h.seq IS NOT NULL AND (h.status = 'in_flight' OR COALESCE(h.next_attempt_at, 0) <= $1)) AS take
       FROM due d LEFT JOIN LATERAL (
         SELECT seq, status, next_attempt_at, unknown FROM events
         WHERE customer_key = d.customer_key AND ${ACTIVE} ORDER BY seq LIMIT 1
       ) h ON true
     ), emptied AS (
       DELETE FROM lanes WHERE customer_key IN (SELECT customer_key FROM heads WHERE seq IS NULL)
     ), aimed AS (
       UPDATE lanes l SET due_at = CASE WHEN h.take THEN $3::bigint ELSE h.next_attempt_at END
       FROM heads h WHERE l.customer_key = h.customer_key AND h.seq IS NOT NULL
     ), claimed AS (
       UPDATE events e SET status = 'in_flight', lease_id = nextval('lease_ids'),
         unknown = (h.unknown OR h.status = 'in_flight')
       FROM heads h
       WHERE h.take AND e.seq = h.seq AND e.status IN ('pending', 'in_flight', 'retrying')
       RETURNING e.seq, e.message_id, e.external_id, e.email, e.business_id, e.location_id, e.perk_id,
         e.send_email, e.once_per_day, e.kind, e.quantity, e.order_id, e.event_timestamp, e.unknown, e.attempts, e.received_at,
         e.first_failed_at, e.lease_id, e.settings_version, e.payload
     )
     SELECT c.seq, c.message_id, c.external_id, c.email, c.business_id, c.location_id, c.perk_id, c.send_email,
       c.once_per_day, c.kind, c.quantity, c.order_id, c.event_timestamp, c.unknown, c.attempts, c.received_at,
       c.first_failed_at, c.lease_id, c.settings_version, c.payload, n.next_due
     FROM (SELECT LEAST(
       (SELECT MIN(due_at) FROM lanes WHERE customer_key NOT IN (SELECT customer_key FROM due)),
       (SELECT MIN(CASE WHEN take THEN $3::bigint ELSE next_attempt_at END) FROM heads WHERE seq IS NOT NULL)
     ) AS next_due) n LEFT JOIN claimed c ON true`,
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
