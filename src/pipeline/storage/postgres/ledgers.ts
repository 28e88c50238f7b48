/** Order ledger rows, locked and written back; what goes in them is order-rules.ts and order-ledger.ts. */
import type { Transaction } from '../../../core/types.js'
import type { LedgerState } from '../storage.js'
import type { Client } from './db.js'

export const ledgerKey = (orderId: string, perkId: string) => `${orderId}\u0000${perkId}`

/**
 * Locks the ledger rows of these orders (creating empty ones, so a first award of an order on one
 * instance and a concurrent one on another meet on the same row), in key order.
 */
export async function lockLedgers(
  c: Client,
  txs: Transaction[],
  now: number,
): Promise<Map<string, LedgerState>> {
  const out = new Map<string, LedgerState>()
  const pairs = new Map<string, { o: string; p: string }>()
  for (const tx of txs)
    if (tx.orderId !== null) pairs.set(ledgerKey(tx.orderId, tx.perkId), { o: tx.orderId, p: tx.perkId })
  if (pairs.size === 0) return out
  const sorted = [...pairs.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v)
  const o = sorted.map((x) => x.o)
  const p = sorted.map((x) => x.p)
  // One statement: a missing row is created, an existing one locked by the no-op update, and
  // RETURNING gives the latest committed amounts either way (ON CONFLICT DO UPDATE waits for a
  // concurrent inserter and reads its row, which a SELECT with this statement's snapshot would miss).
  const res = await c.query<{
    order_id: string
    perk_id: string
    awarded_cents: number
    refunded_cents: number
  }>(
    `INSERT INTO order_ledger AS l (order_id, perk_id, awarded_cents, refunded_cents, updated_at)
     SELECT o, p, 0, 0, $3 FROM unnest($1::text[], $2::text[]) AS u(o, p) ORDER BY o, p
     ON CONFLICT (order_id, perk_id) DO UPDATE SET updated_at = l.updated_at
     RETURNING l.order_id, l.perk_id, l.awarded_cents, l.refunded_cents`,
    [o, p, now],
  )
  for (const r of res.rows) {
    out.set(ledgerKey(r.order_id, r.perk_id), {
      awardedCents: r.awarded_cents,
      refundedCents: r.refunded_cents,
    })
  }
  return out
}
/** Writes back ledgers locked by lockLedgers, in one statement. */
export async function writeLedgers(
  c: Client,
  list: Array<{ orderId: string; perkId: string; state: LedgerState }>,
  now: number,
): Promise<void> {
  if (list.length === 0) return
  await c.query(
    `UPDATE order_ledger l SET awarded_cents = u.a, refunded_cents = u.r, updated_at = $5
     FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) AS u(o, p, a, r)
     WHERE l.order_id = u.o AND l.perk_id = u.p`,
    [
      list.map((x) => x.orderId),
      list.map((x) => x.perkId),
      list.map((x) => x.state.awardedCents),
      list.map((x) => x.state.refundedCents),
      now,
    ],
  )
}
