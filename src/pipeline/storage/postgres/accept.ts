import { inOrderLedger } from '../../order-ledger.js'
import { type Accepted, PG_INSERT_EVENTS, pgEventArrays } from '../event-columns.js'
import { decisionTx } from '../event-rows.js'
import { applyOrderRule } from '../order-step.js'
import { PG_INSERT_REFUSALS, refusalArrays } from '../refusal-rows.js'
import type { AcceptBatch, AcceptContext, AcceptOutcome, NewRefusal } from '../storage.js'
import type { Client, PgDb } from './db.js'
import { sortedUnique } from './lanes.js'
import { ledgerUpdate, ledgerUpdateArgs, lockLedgers } from './ledgers.js'

/**
 * Stores the batches in one transaction: dedup on a unique key, the customers' lanes locked before
 * their events are inserted, the order rules run against locked ledgers, then one insert in receipt order.
 * Locks are taken in one order (dedup keys, lanes, ledgers; each sorted by key), the order completions
 * and redecisions take them too, so two accepts at once (this instance's two, or two instances') never
 * deadlock; the second waits where it meets the first, and its order rules then see the first's ledgers.
 */
export async function accept(
  db: PgDb,
  batches: AcceptBatch[],
  ctx: AcceptContext,
): Promise<AcceptOutcome[][]> {
  const flat = batches.flatMap((b, bi) => b.events.map((ev, ei) => ({ ev, bi, ei })))
  return db.tx(async (c) => {
    const out: AcceptOutcome[][] = batches.map((b) => b.events.map(() => 'duplicate' as AcceptOutcome))

    // 1. Dedup. A repeat within this call is a duplicate of its first occurrence; the first
    // occurrences claim their key in the dedup table (in key order, so concurrent accepts never deadlock).
    const firstByKey = new Map<string, number>()
    flat.forEach((f, i) => {
      if (!firstByKey.has(f.ev.dedupKey)) firstByKey.set(f.ev.dedupKey, i)
    })
    const keys = [...firstByKey.keys()].sort()
    const fresh = new Set<string>()
    if (keys.length > 0) {
      const res = await c.query<{ dedup_key: string }>(
        `INSERT INTO dedup (dedup_key, received_at)
         SELECT k, r FROM unnest($1::text[], $2::bigint[]) AS u(k, r) ORDER BY k
         ON CONFLICT (dedup_key) DO UPDATE SET received_at = excluded.received_at
           WHERE dedup.received_at < $3
         RETURNING dedup_key`,
        [keys, keys.map((k) => flat[firstByKey.get(k)!]!.ev.receivedAt), ctx.dedupSince],
      )
      for (const r of res.rows) fresh.add(r.dedup_key)
    }
    const admitted = flat.filter((f, i) => fresh.has(f.ev.dedupKey) && firstByKey.get(f.ev.dedupKey) === i)

    // The refused events take no lock: stored before the lanes are, so the locks are held for less.
    await insertRefusals(
      c,
      batches.flatMap((b) => b.refusals ?? []),
    )

    // 2. Lock the lanes of these customers before inserting their events: events of one customer
    // are then inserted by one transaction at a time, so their seq order is their commit order.
    const createdLanes = new Set<string>()
    const customers = sortedUnique(admitted.map((f) => f.ev.customerKey))
    if (customers.length > 0) {
      // A new lane is bulk (claimed after live ones) when all its customer's events here are.
      const live = new Set(admitted.filter((f) => f.ev.bulk !== true).map((f) => f.ev.customerKey))
      const res = await c.query<{ customer_key: string; created: boolean }>(
        `INSERT INTO lanes (customer_key, due_at, bulk)
         SELECT k, $2, b FROM unnest($1::text[], $3::bool[]) AS u(k, b) ORDER BY k
         ON CONFLICT (customer_key) DO UPDATE SET due_at = lanes.due_at
         RETURNING customer_key, (xmax = 0) AS created`,
        [customers, ctx.now, customers.map((k) => !live.has(k))],
      )
      for (const r of res.rows) if (r.created) createdLanes.add(r.customer_key)
    }

    // 3. The order ledgers these events touch, locked in key order; the rules run against them in
    // receipt order, exactly as on one machine.
    const ledgers = await lockLedgers(c, admitted.map((f) => f.ev.tx).filter(inOrderLedger), ctx.now)
    // Every lock is taken: the next accept may start and queue behind this one where they meet.
    ctx.locked?.()
    const rows: Accepted[] = admitted.map((f) => {
      const step = applyOrderRule(ctx.orderRule, f.ev.tx, ledgers.of(f.ev.tx))
      if (step.ledger) ledgers.put(step.ledger.orderId, step.ledger.perkId, step.ledger.state)
      out[f.bi]![f.ei] = step.failure ? { orderRule: step.failure.reason } : 'queued'
      return { ev: f.ev, step, settingsVersion: f.ev.settingsVersion ?? 0, now: ctx.now }
    })

    // 4. The events, in receipt order (seq follows the ordinality), and the ledgers written back in
    // the same statement: every round trip here is one more the locks are held for.
    if (rows.length === 0) await ledgers.flush(c, ctx.now)
    else {
      const columns = pgEventArrays(rows)
      const inserted = await c.query<{ seq: number; external_id: string }>(
        `WITH ledgers AS (${ledgerUpdate(columns.length + 1)})
         ${PG_INSERT_EVENTS} RETURNING seq, external_id`,
        [...columns, ...ledgerUpdateArgs(ledgers.takeChanged(), ctx.now)],
      )
      // The first decision of each event an order rule failed; a queued event's is its row (see
      // acceptDecision). Admitted events have distinct external ids (they are the dedup key).
      const failed = rows.filter((r) => r.step.failure)
      const seqOf = new Map(inserted.rows.map((r) => [r.external_id, Number(r.seq)]))
      const ofFailed = <T>(pick: (r: (typeof rows)[number]) => T): T[] => failed.map(pick)
      if (failed.length > 0)
        await c.query(
          `INSERT INTO event_decisions (event_seq, at, settings_version, outcome, code, message, tx)
         SELECT s, $2, v, $4, cd, msg, t FROM unnest($1::bigint[], $3::bigint[], $5::text[],
           $6::text[], $7::text[]) AS u(s, v, cd, msg, t)`,
          [
            ofFailed((r) => seqOf.get(r.ev.externalId)),
            ctx.now,
            ofFailed((r) => r.settingsVersion),
            'fail',
            ofFailed((r) => r.step.failure?.reason ?? null),
            ofFailed((r) => r.step.failure?.message ?? null),
            ofFailed((r) => decisionTx(r.step.tx)),
          ],
        )
    }

    // A lane created above for a customer whose every event was held back has nothing to deliver.
    const queuedCustomers = new Set(rows.filter((r) => !r.step.failure).map((r) => r.ev.customerKey))
    const idle = [...createdLanes].filter((k) => !queuedCustomers.has(k))
    if (idle.length > 0) await c.query(`DELETE FROM lanes WHERE customer_key = ANY($1::text[])`, [idle])

    return out
  })
}

/** Every refused event of these batches, in one insert. */
async function insertRefusals(c: Client, list: NewRefusal[]): Promise<void> {
  if (list.length === 0) return
  await c.query(PG_INSERT_REFUSALS, refusalArrays(list))
}
