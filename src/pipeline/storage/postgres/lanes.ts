/**
 * The per-customer queue: one `lanes` row per customer with undelivered events, due when its head may
 * be attempted or its lease expires. Locking a customer's lane row is the per-customer lock.
 */
import { ACTIVE, type Client } from './db.js'

export function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort()
}

export async function setLanes(c: Client, aim: Array<{ key: string; due: number }>): Promise<void> {
  if (aim.length === 0) return
  await c.query(
    `UPDATE lanes l SET due_at = u.due FROM unnest($1::text[], $2::bigint[]) AS u(k, due) WHERE l.customer_key = u.k`,
    [aim.map((a) => a.key), aim.map((a) => a.due)],
  )
}

/**
 * Points each customer's lane at its new head, or removes it when nothing is left. One statement
 * (one round trip): the heads are read once, empty lanes deleted and the others re-aimed from them
 * (disjoint rows). A lane whose head is leased keeps its due time, the lease's end. Callers hold
 * these lanes' locks already, so no lock is taken in a new order.
 */
export async function aimLanes(c: Client, customers: string[], now: number): Promise<void> {
  if (customers.length === 0) return
  await c.query(
    `WITH h AS (
       SELECT k.lane_key, h.seq, h.status, h.next_attempt_at FROM unnest($1::text[]) AS k(lane_key)
       LEFT JOIN LATERAL (
         SELECT seq, status, next_attempt_at FROM events WHERE customer_key = k.lane_key AND ${ACTIVE}
         ORDER BY seq LIMIT 1
       ) h ON true
     ), emptied AS (
       DELETE FROM lanes WHERE customer_key IN (SELECT lane_key FROM h WHERE seq IS NULL)
     )
     UPDATE lanes l SET due_at = COALESCE(h.next_attempt_at, $2::bigint) FROM h
     WHERE l.customer_key = h.lane_key AND h.seq IS NOT NULL AND h.status <> 'in_flight'
       AND NOT EXISTS (SELECT 1 FROM leases WHERE seq = h.seq)`,
    [customers, now],
  )
}
