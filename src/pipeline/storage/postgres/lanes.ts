/**
 * The per-customer queue: one `lanes` row per customer with undelivered events, due when its head may
 * be attempted or its lease expires. Locking a customer's lane row is the per-customer lock.
 */
import type { EventStatus } from '../../service-api.js'
import { ACTIVE, type Client } from './db.js'

export function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort()
}

/** The head (oldest undelivered event) of each of these customers, or none. */
export async function heads(
  c: Client,
  customers: string[],
): Promise<Map<string, { status: EventStatus; next_attempt_at: number | null } | null>> {
  const res = await c.query<{
    lane_key: string
    seq: number | null
    status: EventStatus
    next_attempt_at: number | null
  }>(
    `SELECT k.lane_key, h.seq, h.status, h.next_attempt_at FROM unnest($1::text[]) AS k(lane_key)
     LEFT JOIN LATERAL (
       SELECT seq, status, next_attempt_at FROM events WHERE customer_key = k.lane_key AND ${ACTIVE}
       ORDER BY seq LIMIT 1
     ) h ON true`,
    [customers],
  )
  const out = new Map<string, { status: EventStatus; next_attempt_at: number | null } | null>()
  for (const r of res.rows) out.set(r.lane_key, r.seq === null ? null : r)
  return out
}

export async function setLanes(c: Client, aim: Array<{ key: string; due: number }>): Promise<void> {
  if (aim.length === 0) return
  await c.query(
    `UPDATE lanes l SET due_at = u.due FROM unnest($1::text[], $2::bigint[]) AS u(k, due) WHERE l.customer_key = u.k`,
    [aim.map((a) => a.key), aim.map((a) => a.due)],
  )
}

/** Points each customer's lane at its new head, or removes it when nothing is left. */
export async function aimLanes(c: Client, customers: string[], now: number): Promise<void> {
  if (customers.length === 0) return
  const found = await heads(c, customers)
  const empty: string[] = []
  const aim: Array<{ key: string; due: number }> = []
  for (const key of customers) {
    const head = found.get(key) ?? null
    if (!head) empty.push(key)
    else if (head.status !== 'in_flight') aim.push({ key, due: head.next_attempt_at ?? now })
  }
  if (empty.length > 0) await c.query(`DELETE FROM lanes WHERE customer_key = ANY($1::text[])`, [empty])
  await setLanes(c, aim)
}
