import pg from 'pg'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { migratePostgres, postgresMigrations } from '../../src/pipeline/storage/postgres/migrate.js'
import { openPostgresStorage } from '../../src/pipeline/storage/postgres.js'
import type { Completion } from '../../src/pipeline/storage/storage.js'
import { dropSchema, queryIn, randomSchema, requirePostgres, TEST_DATABASE_URL } from './pg-harness.js'

const schema = randomSchema('lease')
beforeAll(requirePostgres)
afterAll(() => dropSchema(schema))

const delivered = (id: string, leaseId: number, at: number): Completion => ({
  id,
  leaseId,
  attemptsMade: 1,
  log: [],
  result: { status: 'delivered', at, transactionId: `tx-${id}` },
})

test('migration 000010 takes over events leased the old way: none lost, none doubled, each settled by lookup', async () => {
  const now = Date.now()
  // The schema as it was before leases had their own table, with two customers' heads in flight:
  // ann's lease still runs for a minute, bob's ran out a second ago.
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL })
  await client.connect()
  try {
    await migratePostgres(client, schema, postgresMigrations().slice(0, 9))
  } finally {
    await client.end()
  }
  await queryIn(
    schema,
    `INSERT INTO events (external_id, customer_key, email, business_id, location_id, perk_id, send_email, kind,
       quantity, payload, source, status, received_at, next_attempt_at, lease_id, attempts)
     SELECT 'm-' || c || '-' || n, c, c, '1001', '2001', '3001', false, 'award', 1, '{}', 'tracking-api',
       CASE WHEN n = 1 THEN 'in_flight' ELSE 'pending' END, $1::bigint, $1::bigint,
       CASE WHEN n = 1 THEN l END, 0
     FROM (VALUES ('ann@example.com', 7), ('bob@example.com', 8)) AS v(c, l), generate_series(1, 2) AS n
     ORDER BY c, n`,
    [now],
  )
  await queryIn(schema, `SELECT setval('lease_ids', 8)`)
  await queryIn(
    schema,
    `INSERT INTO lanes (customer_key, due_at) VALUES ('ann@example.com', $1::bigint), ('bob@example.com', $2::bigint)`,
    [now + 60_000, now - 1_000],
  )
  const heads = await queryIn<{ seq: number; customer_key: string }>(
    schema,
    `SELECT seq, customer_key FROM events WHERE status = 'in_flight' ORDER BY customer_key`,
  )
  const [ann, bob] = heads.map((h) => String(h.seq))

  const store = await openPostgresStorage({ connectionString: TEST_DATABASE_URL, schema })
  try {
    expect((await store.getEvent(ann!))?.status).toBe('in_flight')
    // Only bob's expired lease is taken over: a new lease, and its fate unknown (settled by lookup first).
    const first = await store.claim(10, now, 60_000)
    expect(first.claims.map((c) => [c.id, c.unknown])).toEqual([[bob, true]])
    expect(first.claims[0]!.leaseId).toBeGreaterThan(8)
    expect((await store.getEvent(bob!))?.unknown).toBe(true)
    // An outcome under bob's old lease counts for nothing; under the new one it does.
    expect((await store.complete([delivered(bob!, 8, now)], now)).applied).toEqual([false])
    expect((await store.complete([delivered(bob!, first.claims[0]!.leaseId, now)], now)).applied).toEqual([
      true,
    ])
    // Ann's head waits for its lease to run out, then goes the same way; each customer's next one follows.
    const later = now + 61_000
    const second = await store.claim(10, later, 60_000)
    expect(second.claims.map((c) => [c.id, c.unknown]).sort()).toEqual(
      [
        [ann, true],
        [String(Number(bob) + 1), false],
      ].sort(),
    )
    expect(
      (
        await store.complete(
          second.claims.map((c) => delivered(c.id, c.leaseId, later)),
          later,
        )
      ).applied,
    ).toEqual([true, true])
    const third = await store.claim(10, later, 60_000)
    expect(third.claims.map((c) => c.id)).toEqual([String(Number(ann) + 1)])
    await store.complete([delivered(third.claims[0]!.id, third.claims[0]!.leaseId, later)], later)
    const rows = await queryIn<{ status: string; n: number }>(
      schema,
      `SELECT status, COUNT(*)::int AS n FROM events GROUP BY status`,
    )
    expect(rows).toEqual([{ status: 'delivered', n: 4 }])
    expect(await queryIn(schema, `SELECT * FROM leases`)).toEqual([])
  } finally {
    await store.close()
  }
})
