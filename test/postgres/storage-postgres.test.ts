import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { atTheDoor } from '../../src/pipeline/door.js'
import { createGroupCommit } from '../../src/pipeline/group-commit.js'
import { decideOrder } from '../../src/pipeline/order-rules.js'
import { postgresMigrations } from '../../src/pipeline/storage/postgres/migrate.js'
import { openPostgresStorage } from '../../src/pipeline/storage/postgres.js'
import type {
  AcceptBatch,
  AcceptContext,
  AcceptOutcome,
  NewEvent,
  Storage,
} from '../../src/pipeline/storage/storage.js'
import { settingsFor, track } from '../pipeline/harness.js'
import { eventsOfOrder, storageContract } from '../pipeline/storage-contract.js'
import { dropSchema, queryIn, randomSchema, requirePostgres, TEST_DATABASE_URL } from './pg-harness.js'

const schemas: string[] = []
const open: Storage[] = []

beforeAll(requirePostgres)
afterEach(async () => {
  for (const s of open.splice(0)) await s.close()
})
afterAll(async () => {
  for (const s of schemas.splice(0)) await dropSchema(s)
})

/** A store in a schema of its own; `schema` reuses one (a second instance on the same data). */
async function fresh(schema = randomSchema()): Promise<Storage> {
  if (!schemas.includes(schema)) schemas.push(schema)
  const storage = await openPostgresStorage({ connectionString: TEST_DATABASE_URL, schema })
  open.push(storage)
  return storage
}

const settings = settingsFor('token-for-pg-tests')

function event(
  email: string,
  name: string,
  props: Record<string, unknown> = {},
  messageId?: string,
): NewEvent {
  const v = atTheDoor(settings, {
    ...track(email, name, props, messageId ? { messageId } : {}),
    receivedAt: Date.now(),
  })
  if (v.kind !== 'queue') throw new Error('expected a send')
  return v.event
}

const ctx = (now: number): AcceptContext => ({
  now,
  dedupSince: now - 60_000,
  orderRule: (tx, ledger) => decideOrder({ oneAwardPerOrder: true, capRefunds: true }, tx, ledger),
})

describe('the Storage contract, on PostgreSQL', () => {
  storageContract(() => fresh())
})

describe('PostgreSQL storage', () => {
  it('migrates once when several instances start at the same time, and refuses a newer schema', async () => {
    const schema = randomSchema()
    const stores = await Promise.all(Array.from({ length: 4 }, () => fresh(schema)))
    expect(stores).toHaveLength(4)
    expect(await queryIn(schema, 'SELECT version, name FROM migrations ORDER BY version')).toEqual(
      postgresMigrations().map((m) => ({ version: m.version, name: m.name })),
    )
    await queryIn(
      schema,
      `INSERT INTO migrations (version, name) VALUES (${postgresMigrations().length + 1}, 'future')`,
    )
    await expect(openPostgresStorage({ connectionString: TEST_DATABASE_URL, schema })).rejects.toThrow(
      /newer than this program/,
    )
  })

  it('rejects a schema name that is not a plain identifier', async () => {
    await expect(
      openPostgresStorage({ connectionString: TEST_DATABASE_URL, schema: 'x; DROP TABLE y' }),
    ).rejects.toThrow(/schema must be a lower-case SQL identifier/)
  })

  it('queues a messageId once when two instances accept it at the same moment', async () => {
    const schema = randomSchema()
    const a = await fresh(schema)
    const b = await fresh(schema)
    const now = Date.now()
    for (let round = 0; round < 20; round++) {
      const events = Array.from({ length: 10 }, (_, i) =>
        event(`dup${i}@x.co`, 'Checked In', {}, `dup-${round}-${i}`),
      )
      // Reversed on one side, so the two transactions meet the same keys in opposite orders.
      const [ra, rb] = await Promise.all([
        a.accept([{ events }], ctx(now)),
        b.accept([{ events: [...events].reverse() }], ctx(now)),
      ])
      const queued = [...ra[0]!, ...rb[0]!].filter((o) => o === 'queued').length
      const duplicates = [...ra[0]!, ...rb[0]!].filter((o) => o === 'duplicate').length
      expect([queued, duplicates]).toEqual([10, 10])
    }
    const rows = await queryIn<{ n: number }>(schema, 'SELECT COUNT(*)::int AS n FROM events')
    expect(rows[0]!.n).toBe(200)
  })

  it('awards an order once when two instances accept it under different messageIds at once', async () => {
    const schema = randomSchema()
    const a = await fresh(schema)
    const b = await fresh(schema)
    const now = Date.now()
    for (let round = 0; round < 20; round++) {
      const order = (tag: string) =>
        event(
          `buyer${round}@x.co`,
          'Order Completed',
          { order_id: `O-${round}`, revenue: 12 },
          `${tag}-${round}`,
        )
      const [ra, rb] = await Promise.all([
        a.accept([{ events: [order('a')] }], ctx(now)),
        b.accept([{ events: [order('b')] }], ctx(now)),
      ])
      expect([ra[0]![0], rb[0]![0]]).toContain('queued')
      expect([ra[0]![0], rb[0]![0]]).toContainEqual({ orderRule: 'order_already_awarded' })
    }
    const ledger = await queryIn<{ n: number; awarded: number }>(
      schema,
      'SELECT COUNT(*)::int AS n, MIN(awarded_cents)::int AS awarded FROM order_ledger',
    )
    expect(ledger).toEqual([{ n: 20, awarded: 1200 }])
  })

  it('never hands one customer to two claimers, and leaves live leases alone at start', async () => {
    const schema = randomSchema()
    const a = await fresh(schema)
    const b = await fresh(schema)
    const now = Date.now()
    const events = Array.from({ length: 200 }, (_, i) => event(`c${i % 40}@x.co`, 'Checked In'))
    await a.accept([{ events }], ctx(now))
    const [ca, cb] = await Promise.all([a.claim(30, now, 60_000), b.claim(30, now, 60_000)])
    const customers = [...ca!.claims, ...cb!.claims].map((c) => c.tx.email)
    expect(new Set(customers).size).toBe(customers.length)
    expect(customers.length).toBe(40)
    // A second instance starting now must not take over the first one's live leases.
    expect(await b.recoverAbandoned(now + 1_000)).toBe(0)
    expect((await b.claim(50, now + 1_000, 60_000)).claims).toEqual([])
    // Once they expired, it does.
    expect(await b.recoverAbandoned(now + 60_000)).toBe(40)
    const again = (await b.claim(50, now + 60_000, 60_000)).claims
    expect(again).toHaveLength(40)
    expect(again.every((c) => c.unknown)).toBe(true)
  })

  it('a claim answers the next due time as the lanes stand after it', async () => {
    const schema = randomSchema()
    const s = await fresh(schema)
    const now = Date.now()
    await s.accept(
      [{ events: ['d1@x.co', 'd2@x.co', 'd3@x.co'].map((e) => event(e, 'Checked In')) }],
      ctx(now),
    )
    // One of three due lanes taken: the two left are due now, whatever the claim set for its own.
    const first = await s.claim(1, now, 60_000)
    expect(first.claims).toHaveLength(1)
    expect(first.nextDue).toBeLessThanOrEqual(now)
    const rest = (await s.claim(10, now, 60_000)).claims
    expect(rest).toHaveLength(2)
    // One goes back to wait 5 s; the other two hold their leases for 60 s.
    await s.complete(
      [
        {
          id: rest[0]!.id,
          leaseId: rest[0]!.leaseId,
          attemptsMade: 1,
          log: [],
          result: {
            status: 'retrying',
            nextAttemptAt: now + 5_000,
            unknown: false,
            error: 'x',
            firstFailedAt: now,
          },
        },
      ],
      now,
    )
    expect(await s.claim(10, now, 60_000)).toEqual({ claims: [], nextDue: now + 5_000 })
    // Each claim reads the lanes as they stand: a change after one is seen by the next.
    await queryIn(schema, 'UPDATE lanes SET due_at = $1 WHERE due_at = $2', [now + 3_000, now + 5_000])
    expect(await s.claim(10, now, 60_000)).toEqual({ claims: [], nextDue: now + 3_000 })
  })

  it('fails a queued refund when the award of its order fails (cascade), across instances', async () => {
    const schema = randomSchema()
    const a = await fresh(schema)
    const b = await fresh(schema)
    const now = Date.now()
    await a.accept(
      [{ events: [event('cas@x.co', 'Order Completed', { order_id: 'C-1', revenue: 10 })] }],
      ctx(now),
    )
    await b.accept(
      [{ events: [event('cas@x.co', 'Order Refunded', { order_id: 'C-1', total: 4 })] }],
      ctx(now),
    )
    const [award] = (await b.claim(5, now, 60_000)).claims
    const done = await a.complete(
      [
        {
          id: award!.id,
          leaseId: award!.leaseId,
          attemptsMade: 1,
          log: [],
          result: { status: 'failed', at: now, reason: 'permanent', error: 'HTTP 422' },
        },
      ],
      now,
    )
    expect(done).toEqual({ applied: [true], cascadedFailures: 1 })
    expect(await a.queueDepth()).toBe(0)
    const refund = (await eventsOfOrder(a, 'C-1'))[0]!
    expect([refund.kind, refund.status, refund.failureReason]).toEqual([
      'refund',
      'failed',
      'refund_exceeds_order',
    ])
    expect(await a.claim(5, now, 60_000)).toEqual({ claims: [], nextDue: null })
  })

  it('ping (what /readyz reports) follows the database becoming unreachable and coming back', async () => {
    // A role of our own that can be locked out, so the database really refuses this store.
    const role = randomSchema('role')
    const password = 'pw-for-ping-test'
    const schema = randomSchema()
    await queryIn('public', `CREATE ROLE ${role} LOGIN PASSWORD '${password}'`)
    const url = new URL(TEST_DATABASE_URL)
    await queryIn('public', `GRANT CREATE ON DATABASE ${url.pathname.slice(1)} TO ${role}`)
    url.username = role
    url.password = password
    const errors: Error[] = []
    const s = await openPostgresStorage({
      connectionString: url.toString(),
      schema,
      onError: (err) => errors.push(err),
    })
    try {
      expect(await s.ping()).toBe(true)
      await queryIn('public', `ALTER ROLE ${role} NOLOGIN`)
      await queryIn('public', `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, [
        role,
      ])
      expect(await s.ping()).toBe(false)
      await queryIn('public', `ALTER ROLE ${role} LOGIN`)
      expect(await s.ping()).toBe(true)
    } finally {
      await s.close()
      await dropSchema(schema)
      await queryIn('public', `DROP OWNED BY ${role}`)
      await queryIn('public', `DROP ROLE ${role}`)
    }
  })

  it('reports ping false after close and answers ping true while open', async () => {
    const s = await fresh()
    expect(await s.ping()).toBe(true)
    await s.close()
    expect(await s.ping()).toBe(false)
  })
})

/**
 * Two accepts of one instance in flight, as the intake runs them (group commit, `acceptsAtOnce`):
 * the second batch is submitted when the first says it holds its locks, so the second transaction
 * runs while the first has not committed; `log` shows it.
 */
async function twoInFlight(
  storage: Storage,
  first: AcceptBatch,
  second: AcceptBatch,
  context: AcceptContext,
  log: string[] = [],
): Promise<{ outcomes: Array<PromiseSettledResult<AcceptOutcome[]>>; log: string[] }> {
  let secondSubmitted: Promise<AcceptOutcome[]> | null = null
  let n = 0
  const gc = createGroupCommit<AcceptBatch, AcceptOutcome[]>(
    async (batches, ready) => {
      const k = ++n
      log.push(`start ${k}`)
      try {
        return await storage.accept(batches, {
          ...context,
          locked: () => {
            secondSubmitted ??= gc.submit(second)
            ready()
          },
        })
      } finally {
        log.push(`end ${k}`)
      }
    },
    { atOnce: storage.acceptsAtOnce },
  )
  const a = gc.submit(first)
  const outcomes = await Promise.allSettled([
    a,
    a.then(
      () => secondSubmitted!,
      () => secondSubmitted!,
    ),
  ])
  await gc.drain()
  return { outcomes, log }
}

const value = (r: PromiseSettledResult<AcceptOutcome[]> | undefined) => {
  if (r?.status !== 'fulfilled') throw new Error(`expected an answer, got ${String(r?.status)}`)
  return r.value
}

describe('two accepts in flight on one PostgreSQL instance', () => {
  it('takes two: the second starts while the first holds its locks, not before', async () => {
    const schema = randomSchema()
    const storage = await fresh(schema)
    expect(storage.acceptsAtOnce).toBe(2)
    const { log } = await twoInFlight(
      storage,
      { events: [event('one@x.co', 'Checked In')] },
      { events: [event('two@x.co', 'Checked In')] },
      ctx(Date.now()),
    )
    expect(log.slice(0, 2)).toEqual(['start 1', 'start 2'])
  })

  it('queues a messageId once when both flushes carry it; the first one wins', async () => {
    const schema = randomSchema()
    const storage = await fresh(schema)
    const now = Date.now()
    for (let round = 0; round < 5; round++) {
      const events = Array.from({ length: 6 }, (_, i) =>
        event(`same${i}@x.co`, 'Checked In', {}, `same-${round}-${i}`),
      )
      const { outcomes, log } = await twoInFlight(
        storage,
        { events },
        // Reversed, and with a new event between: the keys are met in another order.
        { events: [...events].reverse().toSpliced(3, 0, event('new@x.co', 'Checked In')) },
        ctx(now),
      )
      expect(log.indexOf('start 2')).toBeLessThan(log.indexOf('end 1'))
      expect(value(outcomes[0])).toEqual(events.map(() => 'queued'))
      expect(value(outcomes[1])).toEqual([
        ...Array(3).fill('duplicate'),
        'queued',
        ...Array(3).fill('duplicate'),
      ])
    }
    const rows = await queryIn<{ n: number }>(schema, 'SELECT COUNT(*)::int AS n FROM events')
    expect(rows[0]!.n).toBe(35)
  })

  it('awards an order once when both flushes carry it under different messageIds and customers', async () => {
    const schema = randomSchema()
    const storage = await fresh(schema)
    const now = Date.now()
    const order = (who: string) =>
      event(`${who}@x.co`, 'Order Completed', { order_id: 'O-TWO', revenue: 12 }, `award-${who}`)
    const { outcomes } = await twoInFlight(
      storage,
      { events: [order('a')] },
      { events: [order('b')] },
      ctx(now),
    )
    expect(value(outcomes[0])).toEqual(['queued'])
    expect(value(outcomes[1])).toEqual([{ orderRule: 'order_already_awarded' }])
    expect(await queryIn(schema, 'SELECT awarded_cents::int AS a FROM order_ledger')).toEqual([{ a: 1200 }])
  })

  it('starts the second only once the first holds its ledgers: a refund behind its award is kept', async () => {
    const schema = randomSchema()
    const storage = await fresh(schema)
    const now = Date.now()
    // Different customers, so only the order's ledger row puts the second behind the first.
    const award = event('buyer@x.co', 'Order Completed', { order_id: 'O-REF', revenue: 10 }, 'ref-award')
    const refund = event('other@x.co', 'Order Refunded', { order_id: 'O-REF', total: 4 }, 'ref-refund')
    // Another transaction creates the order's ledger row and keeps it uncommitted: the first flush
    // waits for it at its ledger lock, the last lock it takes.
    const blocker = new pg.Client({
      connectionString: TEST_DATABASE_URL,
      options: `-c search_path=${schema}`,
    })
    await blocker.connect()
    try {
      await blocker.query('BEGIN')
      await blocker.query(
        'INSERT INTO order_ledger (order_id, perk_id, awarded_cents, refunded_cents, updated_at) VALUES ($1, $2, 0, 0, $3)',
        ['O-REF', award.tx.perkId, now],
      )
      const blockerPid = (await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid
      const log: string[] = []
      const running = twoInFlight(storage, { events: [award] }, { events: [refund] }, ctx(now), log)
      // Until the first waits for the blocker (asked on connections of their own: inside the
      // blocker's transaction the view would not change); bounded, so a broken test cannot spin on.
      for (let look = 0; ; look++) {
        const waiting = await queryIn(
          schema,
          'SELECT pid FROM pg_stat_activity WHERE $1::int = ANY(pg_blocking_pids(pid))',
          [blockerPid],
        )
        if (waiting.length > 0) break
        if (look === 2_000) throw new Error('the first accept never waited for the ledger row')
        await new Promise((r) => setTimeout(r, 10))
      }
      // The first waits for its ledger lock: the second has not started (it would take the ledger first).
      expect(log).toEqual(['start 1'])
      await blocker.query('COMMIT')
      const { outcomes } = await running
      expect(value(outcomes[0])).toEqual(['queued'])
      expect(value(outcomes[1])).toEqual(['queued'])
      expect(
        await queryIn(schema, 'SELECT awarded_cents::int AS a, refunded_cents::int AS r FROM order_ledger'),
      ).toEqual([{ a: 1000, r: 400 }])
    } finally {
      await blocker.end()
    }
  })

  it('a first flush that fails after taking its locks leaves the messageId to the second', async () => {
    const schema = randomSchema()
    const storage = await fresh(schema)
    const now = Date.now()
    const ev = event('fails@x.co', 'Order Completed', { order_id: 'O-FAIL', revenue: 5 }, 'fails-once')
    let calls = 0
    const base = ctx(now)
    const { outcomes } = await twoInFlight(
      storage,
      { events: [ev] },
      { events: [ev] },
      {
        ...base,
        // Runs after the locks are taken: the first transaction rolls back with the second waiting on its key.
        orderRule: (tx, ledger) => {
          if (++calls === 1) throw new Error('the first flush breaks')
          return base.orderRule(tx, ledger)
        },
      },
    )
    expect(outcomes[0]!.status).toBe('rejected')
    expect(value(outcomes[1])).toEqual(['queued'])
    expect(await queryIn(schema, 'SELECT COUNT(*)::int AS n FROM events')).toEqual([{ n: 1 }])
  })
})

describe('PostgreSQL storage and odd text', () => {
  it('stores an event whose messageId and order id hold U+0000 without failing its neighbours', async () => {
    const s = await fresh()
    const now = Date.now()
    const odd = event('nul@x.co', 'Order Completed', { order_id: 'N\u0000-1', revenue: 5 }, 'm\u0000id')
    const fine = event('ok@x.co', 'Checked In')
    expect(await s.accept([{ events: [odd] }, { events: [fine] }], ctx(now))).toEqual([
      ['queued'],
      ['queued'],
    ])
    expect(await s.accept([{ events: [odd] }], ctx(now))).toEqual([['duplicate']])
    const claims = (await s.claim(5, now, 60_000)).claims
    expect(claims.map((c) => c.externalId).sort()).toEqual([fine.externalId, 'm\uFFFDid'].sort())
  })
})
