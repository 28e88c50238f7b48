import { afterAll, beforeAll, expect, it } from 'vitest'
import type { DeliveryService, IncomingEvent } from '../../src/pipeline/service-api.js'
import { openPostgresStorage } from '../../src/pipeline/storage/postgres.js'
import { type RunningSandbox, startSandbox } from '../../src/sandbox/index.js'
import { waitFor } from '../pipeline/harness.js'
import { ctx, newEvent } from '../pipeline/storage-contract.js'
import { dropSchema, queryIn, randomSchema, requirePostgres, TEST_DATABASE_URL } from './pg-harness.js'
import { openPostgresInstance } from './pg-instance.js'

// Instance B polls only every ten minutes: within this test, only a notification can make it claim
// an event that instance A accepted (A is never started, so it delivers nothing itself).
const POLL_MS = 600_000
const schema = randomSchema('notify')
const cleanups: Array<() => Promise<void>> = []
let sandbox: RunningSandbox

beforeAll(async () => {
  await requirePostgres()
  sandbox = await startSandbox({ memory: true })
  cleanups.push(() => sandbox.close())
})
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined)
  await dropSchema(schema)
})

async function instance(): Promise<DeliveryService> {
  return openPostgresInstance(schema, sandbox, cleanups, { pollMs: POLL_MS })
}

function visit(n: number): IncomingEvent {
  const email = `notify${n}@example.com`
  return {
    source: 'tracking-api',
    receivedAt: Date.now(),
    payload: {
      type: 'track',
      event: 'Checked In',
      userId: `u${n}`,
      messageId: `notify-${n}`,
      properties: { email },
    },
  }
}

/** The backend pid of B's listening connection once it has run LISTEN, else null. */
async function listenerPid(): Promise<number | null> {
  const rows = await queryIn<{ pid: number }>(
    schema,
    `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN %'`,
    [`perkville-listen ${schema}`],
  )
  return rows[0]?.pid ?? null
}

const delivered = (id: string) => sandbox.transactions().some((t) => t.trans_source_id === id)

it('an event accepted by one instance is delivered by another at once, not at its next poll', async () => {
  const a = await instance()
  const b = await instance()
  await b.start()
  const firstPid = await waitFor(listenerPid, "B's listening connection")
  // B's start-up claim found nothing; from here on it would next look in ten minutes.
  await new Promise((r) => setTimeout(r, 300))
  expect(sandbox.transactions()).toHaveLength(0)

  expect(await a.accept([visit(1)])).toMatchObject({ queued: 1 })
  await waitFor(() => delivered('notify-1'), 'B to deliver what A accepted')

  // The listening connection is cut (a restart of PostgreSQL, a proxy timeout): B connects again by
  // itself and is woken by the next event as before.
  await queryIn(schema, 'SELECT pg_terminate_backend($1)', [firstPid])
  const secondPid = await waitFor(async () => {
    const pid = await listenerPid()
    return pid !== null && pid !== firstPid ? pid : null
  }, 'B to listen again on a new connection')
  expect(secondPid).not.toBe(firstPid)
  // Settle B's own wake-up after reconnecting (it finds nothing), so the next claim is the notification's.
  await new Promise((r) => setTimeout(r, 300))
  expect(await a.accept([visit(2)])).toMatchObject({ queued: 1 })
  await waitFor(() => delivered('notify-2'), 'B to deliver the next event after reconnecting')
  expect(sandbox.transactions().map((t) => t.trans_source_id)).toEqual(['notify-1', 'notify-2'])
}, 60_000)

it('an instance that claims what it accepted itself does not wake the others', async () => {
  const a = await openPostgresStorage({ connectionString: TEST_DATABASE_URL, schema })
  const b = await openPostgresStorage({ connectionString: TEST_DATABASE_URL, schema })
  let woken = 0
  const unwatch = b.watchForWork!(() => woken++)
  cleanups.push(async () => {
    await unwatch()
    await a.close()
    await b.close()
  })
  // One wake-up once B listens (work may have come while it connected).
  await waitFor(() => woken === 1, "B's listening connection")
  const now = Date.now()
  // A has a free slot for its one event: it claims it itself, B hears nothing.
  await a.accept([{ events: [newEvent('self1@example.com')] }], { ...ctx(now), selfClaims: () => 1 })
  // Two events and one free slot: B is told. Notifications arrive in commit order, so had the first
  // accept notified, B would count two by the time this one arrives.
  await a.accept([{ events: [newEvent('self2@example.com'), newEvent('self3@example.com')] }], {
    ...ctx(now),
    selfClaims: () => 1,
  })
  await waitFor(() => woken >= 2, 'B to hear of the second accept')
  await new Promise((r) => setTimeout(r, 200))
  expect(woken).toBe(2)
}, 30_000)
