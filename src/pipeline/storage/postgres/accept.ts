import type { OrderRuleReason } from '../../failure-reasons.js'
import { EMPTY_LEDGER, inOrderLedger } from '../../order-ledger.js'
import { decisionTx } from '../event-rows.js'
import { REFUSAL_COLUMNS } from '../refusal-rows.js'
import type { AcceptBatch, AcceptContext, AcceptOutcome, NewRefusal } from '../storage.js'
import type { Client, PgDb } from './db.js'
import { sortedUnique } from './lanes.js'
import { ledgerKey, lockLedgers, writeLedgers } from './ledgers.js'

/**
 * Stores the batches in one transaction: dedup on a unique key, the customers' lanes locked before
 * their events are inserted, the order rules run against locked ledgers, then one insert in receipt order.
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
    const touched = new Set<string>()
    const rows: Array<{
      f: (typeof flat)[number]
      quantity: number
      ledger: boolean
      failure: { reason: OrderRuleReason; message: string } | null
    }> = []
    for (const f of admitted) {
      const tx = f.ev.tx
      let quantity = tx.quantity
      let ledger = false
      let failure: { reason: OrderRuleReason; message: string } | null = null
      if (inOrderLedger(tx)) {
        const key = ledgerKey(tx.orderId, tx.perkId)
        const state = ledgers.get(key) ?? EMPTY_LEDGER
        const decision = ctx.orderRule(tx, { ...state })
        if (decision.action === 'fail') {
          failure = { reason: decision.reason, message: decision.message }
        } else {
          quantity = decision.quantity
          if (decision.ledger) {
            ledger = true
            ledgers.set(key, { ...decision.ledger })
            touched.add(key)
          }
        }
      }
      rows.push({ f, quantity, ledger, failure })
      out[f.bi]![f.ei] = failure ? { orderRule: failure.reason } : 'queued'
    }
    await writeLedgers(
      c,
      [...touched].map((k) => {
        const [orderId, perkId] = k.split('\u0000') as [string, string]
        return { orderId, perkId, state: ledgers.get(k)! }
      }),
      ctx.now,
    )

    // 4. The events, in receipt order (seq follows the ordinality).
    if (rows.length > 0) {
      const col = <T>(pick: (r: (typeof rows)[number]) => T): T[] => rows.map(pick)
      const inserted = await c.query<{ seq: number; external_id: string }>(
        `INSERT INTO events (message_id, external_id, customer_key, email, business_id, location_id, perk_id,
           send_email, kind, quantity, requested_quantity, order_id, event_timestamp, payload, source, status,
           ledger, received_at, next_attempt_at, finished_at, failure_reason, last_error, settings_version,
           event_name, audience_key, write_key_source, once_per_day)
         SELECT m, x, ck, em, b, lo, pk, se, ki, q, rq, o, ts, pl, src, st, lg, ra, na, fa, fr, le, sv, en, ak, ws, od
         FROM (
           SELECT m, x, ck, em, b, lo, pk, se, ki, q, rq, o, ts, pl, src, st, lg, ra, na, fa, fr, le, sv, en, ak, ws, od
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
             $8::bool[], $9::text[], $10::float8[], $11::float8[], $12::text[], $13::text[], $14::text[],
             $15::text[], $16::text[], $17::bool[], $18::bigint[], $19::bigint[], $20::bigint[], $21::text[],
             $22::text[], $23::bigint[], $24::text[], $25::text[], $26::text[], $27::bool[])
             WITH ORDINALITY AS u(m, x, ck, em, b, lo, pk, se, ki, q, rq, o, ts, pl, src, st, lg, ra, na, fa, fr, le,
               sv, en, ak, ws, od, n)
           ORDER BY n
         ) AS ordered
         RETURNING seq, external_id`,
        [
          col((r) => r.f.ev.messageId),
          col((r) => r.f.ev.externalId),
          col((r) => r.f.ev.customerKey),
          col((r) => r.f.ev.tx.email),
          col((r) => r.f.ev.tx.businessId),
          col((r) => r.f.ev.tx.locationId),
          col((r) => r.f.ev.tx.perkId),
          col((r) => r.f.ev.tx.sendEmail),
          col((r) => r.f.ev.tx.kind),
          col((r) => r.quantity),
          col((r) => (r.quantity === r.f.ev.tx.quantity ? null : r.f.ev.tx.quantity)),
          col((r) => r.f.ev.tx.orderId),
          col((r) => r.f.ev.tx.timestamp),
          col((r) => r.f.ev.payload),
          col((r) => r.f.ev.source),
          col((r) => (r.failure ? 'failed' : 'pending')),
          col((r) => r.ledger),
          col((r) => r.f.ev.receivedAt),
          col((r) => (r.failure ? null : ctx.now)),
          col((r) => (r.failure ? ctx.now : null)),
          col((r) => r.failure?.reason ?? null),
          col((r) => r.failure?.message ?? null),
          col((r) => r.f.ev.settingsVersion ?? 0),
          col((r) => r.f.ev.eventName ?? null),
          col((r) => r.f.ev.audienceKey ?? null),
          col((r) => r.f.ev.writeKeySource ?? null),
          col((r) => r.f.ev.tx.oncePerDay === true),
        ],
      )
      // The first decision of each event an order rule failed; a queued event's is its row (see
      // acceptDecision). Admitted events have distinct external ids (they are the dedup key).
      const failed = rows.filter((r) => r.failure)
      const seqOf = new Map(inserted.rows.map((r) => [r.external_id, Number(r.seq)]))
      const ofFailed = <T>(pick: (r: (typeof rows)[number]) => T): T[] => failed.map(pick)
      if (failed.length > 0)
        await c.query(
          `INSERT INTO event_decisions (event_seq, at, settings_version, outcome, code, message, tx)
         SELECT s, $2, v, $4, cd, msg, t FROM unnest($1::bigint[], $3::bigint[], $5::text[],
           $6::text[], $7::text[]) AS u(s, v, cd, msg, t)`,
          [
            ofFailed((r) => seqOf.get(r.f.ev.externalId)),
            ctx.now,
            ofFailed((r) => r.f.ev.settingsVersion ?? 0),
            'fail',
            ofFailed((r) => r.failure?.reason ?? null),
            ofFailed((r) => r.failure?.message ?? null),
            ofFailed((r) =>
              decisionTx(
                r.quantity === r.f.ev.tx.quantity ? r.f.ev.tx : { ...r.f.ev.tx, quantity: r.quantity },
              ),
            ),
          ],
        )
    }

    // A lane created above for a customer whose every event was held back has nothing to deliver.
    const queuedCustomers = new Set(rows.filter((r) => !r.failure).map((r) => r.f.ev.customerKey))
    const idle = [...createdLanes].filter((k) => !queuedCustomers.has(k))
    if (idle.length > 0) await c.query(`DELETE FROM lanes WHERE customer_key = ANY($1::text[])`, [idle])

    await insertRefusals(
      c,
      batches.flatMap((b) => b.refusals ?? []),
    )
    return out
  })
}

/** Every refused event of these batches, in one insert. */
async function insertRefusals(c: Client, list: NewRefusal[]): Promise<void> {
  if (list.length === 0) return
  const col = <T>(pick: (r: NewRefusal) => T): T[] => list.map(pick)
  await c.query(
    `INSERT INTO refusals (${REFUSAL_COLUMNS})
     SELECT c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14
     FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
       $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::bigint[], $14::text[])
       AS u(c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14)`,
    [
      col((r) => r.receivedAt),
      col((r) => r.kind),
      col((r) => r.code),
      col((r) => r.message),
      col((r) => r.email),
      col((r) => (r.email === null ? null : r.email.toLowerCase())),
      col((r) => r.orderId),
      col((r) => r.messageId),
      col((r) => r.eventName),
      col((r) => r.audienceKey),
      col((r) => r.source),
      col((r) => r.writeKeySource),
      col((r) => r.settingsVersion ?? 0),
      col((r) => r.payload),
    ],
  )
}
