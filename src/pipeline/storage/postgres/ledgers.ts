/** Order ledger rows, locked and written back; what goes in them is order-rules.ts and order-ledger.ts. */
import type { Transaction } from '../../../core/types.js'
import { inOrderLedger } from '../../order-ledger.js'
import type { LedgerState } from '../storage.js'
import type { Client } from './db.js'

const ledgerKey = (orderId: string, perkId: string) => `${orderId}\u0000${perkId}`

/**
 * Locks the ledger rows of these orders (creating empty ones, so a first award of an order on one
 * instance and a concurrent one on another meet on the same row), in key order.
 */
export async function lockLedgers(c: Client, txs: Transaction[], now: number): Promise<LockedLedgers> {
  const out = new LockedLedgers()
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
    out.load(r.order_id, r.perk_id, { awardedCents: r.awarded_cents, refundedCents: r.refunded_cents })
  }
  return out
}

/** Ledger rows locked by lockLedgers: read and changed in memory, the changed ones written back by flush. */
export class LockedLedgers {
  private readonly rows = new Map<string, { orderId: string; perkId: string; state: LedgerState }>()
  private readonly changed = new Set<string>()

  load(orderId: string, perkId: string, state: LedgerState): void {
    this.rows.set(ledgerKey(orderId, perkId), { orderId, perkId, state })
  }

  get(orderId: string, perkId: string): LedgerState | null {
    return this.rows.get(ledgerKey(orderId, perkId))?.state ?? null
  }

  /** The ledger a transaction's order rules run against: null when it is in none. */
  of(tx: Transaction): LedgerState | null {
    return inOrderLedger(tx) ? this.get(tx.orderId, tx.perkId) : null
  }

  put(orderId: string, perkId: string, state: LedgerState): void {
    this.load(orderId, perkId, state)
    this.changed.add(ledgerKey(orderId, perkId))
  }

  async flush(c: Client, now: number): Promise<void> {
    await writeLedgers(c, this.takeChanged(), now)
  }

  /** The changed rows, to be written back by the caller (in a statement of its own); none are left changed. */
  takeChanged(): LedgerRow[] {
    const list = [...this.changed].map((k) => this.rows.get(k)!)
    this.changed.clear()
    return list
  }
}

type LedgerRow = { orderId: string; perkId: string; state: LedgerState }

/**
 * The UPDATE that writes ledgers back, its parameters numbered from `$first`, so it can also run as
 * a part (a WITH) of a larger statement: one round trip less while the rows are locked.
 */
export function ledgerUpdate(first: number): string {
  const $ = (i: number) => `$${first + i}`
  return `UPDATE order_ledger l SET awarded_cents = u.a, refunded_cents = u.r, updated_at = ${$(4)}
     FROM unnest(${$(0)}::text[], ${$(1)}::text[], ${$(2)}::bigint[], ${$(3)}::bigint[]) AS u(o, p, a, r)
     WHERE l.order_id = u.o AND l.perk_id = u.p`
}

/** ledgerUpdate's parameters, in its order. */
export function ledgerUpdateArgs(list: LedgerRow[], now: number): unknown[] {
  return [
    list.map((x) => x.orderId),
    list.map((x) => x.perkId),
    list.map((x) => x.state.awardedCents),
    list.map((x) => x.state.refundedCents),
    now,
  ]
}

/** Writes back ledgers locked by lockLedgers, in one statement. */
export async function writeLedgers(c: Client, list: LedgerRow[], now: number): Promise<void> {
  if (list.length === 0) return
  await c.query(ledgerUpdate(1), ledgerUpdateArgs(list, now))
}
