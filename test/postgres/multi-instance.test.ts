import { afterAll, beforeAll, expect, it } from 'vitest'
import type { DeliveryService, IncomingEvent } from '../../src/pipeline/service-api.js'
import { type RunningSandbox, startSandbox } from '../../src/sandbox/index.js'
import { waitFor } from '../pipeline/harness.js'
import { dropSchema, queryIn, randomSchema, requirePostgres } from './pg-harness.js'
import { openPostgresInstance } from './pg-instance.js'

const schema = randomSchema('multi')
const cleanups: Array<() => Promise<void>> = []
let sandbox: RunningSandbox

beforeAll(async () => {
  await requirePostgres()
  sandbox = await startSandbox({
    memory: true,
    faults: { latencyMs: 2, latencyJitterMs: 8, scope: 'writes' },
  })
  cleanups.push(() => sandbox.close())
})
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined)
  await dropSchema(schema)
})

async function instance(): Promise<DeliveryService> {
  const service = await openPostgresInstance(schema, sandbox, cleanups, {
    concurrency: 8,
    pollMs: 50,
    leaseMs: 5_000,
    backoff: { baseMs: 20, maxMs: 200 },
  })
  await service.start()
  return service
}

function track(email: string, event: string, messageId: string, properties: Record<string, unknown> = {}) {
  return {
    source: 'tracking-api',
    receivedAt: Date.now(),
    payload: { type: 'track', event, userId: `u-${email}`, messageId, properties: { email, ...properties } },
  } satisfies IncomingEvent
}

it('two instances on one database deliver every event once, in order per customer', async () => {
  const [a, b] = await Promise.all([instance(), instance()])
  const services = [a!, b!]
  const CUSTOMERS = 30
  const PER_CUSTOMER = 8
  const ORDERS = 25

  // Each customer's events are sent one after the other, alternating instances, each only after the
  // previous one was acknowledged: they must reach Perkville in that order. Every third one is also
  // sent to the other instance at the same moment (a client retrying elsewhere): queued once.
  const sentOrder = new Map<string, string[]>()
  let queued = 0
  let duplicates = 0
  const customer = async (c: number) => {
    const email = `cust${c}@example.com`
    const ids: string[] = []
    for (let i = 0; i < PER_CUSTOMER; i++) {
      const id = `mi-${c}-${i}`
      ids.push(id)
      const first = services[(c + i) % 2]!
      const other = services[(c + i + 1) % 2]!
      const results =
        i % 3 === 0
          ? await Promise.all([
              first.accept([track(email, 'Checked In', id)]),
              other.accept([track(email, 'Checked In', id)]),
            ])
          : [await first.accept([track(email, 'Checked In', id)])]
      for (const r of results) {
        queued += r.queued
        duplicates += r.duplicates
      }
    }
    sentOrder.set(email, ids)
  }
  // The same order, under two messageIds, arriving at both instances at once: one award.
  const order = async (n: number) => {
    const email = `buyer${n}@example.com`
    const props = { order_id: `MI-ORDER-${n}`, revenue: 10 + n }
    const results = await Promise.all([
      a!.accept([track(email, 'Order Completed', `mi-order-${n}-a`, props)]),
      b!.accept([track(email, 'Order Completed', `mi-order-${n}-b`, props)]),
    ])
    for (const r of results) queued += r.queued
  }
  await Promise.all([
    ...Array.from({ length: CUSTOMERS }, (_, c) => customer(c)),
    ...Array.from({ length: ORDERS }, (_, n) => order(n)),
  ])
  const expectedDuplicates = CUSTOMERS * Math.ceil(PER_CUSTOMER / 3)
  expect(duplicates).toBe(expectedDuplicates)
  expect(queued).toBe(CUSTOMERS * PER_CUSTOMER + ORDERS)

  const total = CUSTOMERS * PER_CUSTOMER + ORDERS
  await waitFor(() => sandbox.transactions().length >= total, 'every event in the sandbox', 40_000)
  await waitFor(async () => {
    const rows = await queryIn<{ n: number }>(
      schema,
      `SELECT COUNT(*)::int AS n FROM events WHERE status IN ('pending', 'in_flight', 'retrying')`,
    )
    return rows[0]!.n === 0
  }, 'an empty queue')

  const txs = [...sandbox.transactions()].sort((x, y) => x.id - y.id)
  const externalIds = txs.map((t) => t.trans_source_id)
  expect(externalIds.length).toBe(total)
  expect(new Set(externalIds).size).toBe(total)
  for (let n = 0; n < ORDERS; n++) {
    const awards = externalIds.filter((id) => id.startsWith(`mi-order-${n}-`))
    expect(awards).toHaveLength(1)
  }
  for (const [email, ids] of sentOrder) {
    expect(txs.filter((t) => t.email === email).map((t) => t.trans_source_id)).toEqual(ids)
  }
  // Nothing was sent twice (a second POST would have met 409 "already there").
  const resent = await queryIn<{ n: number }>(
    schema,
    `SELECT COUNT(*)::int AS n FROM attempts WHERE outcome = 'already_delivered'`,
  )
  expect(resent[0]!.n).toBe(0)
  // Both instances read the same shared statistics.
  const range = { from: Date.now() - 600_000, to: Date.now() + 1 }
  const stats = await Promise.all(services.map((s) => s.stats(range)))
  expect(stats[0]).toEqual(stats[1])
  expect(stats[0]).toMatchObject({ delivered: total, notDelivered: { order_already_awarded: ORDERS } })
}, 60_000)

it('each instance counts the door drops of every instance sharing the database', async () => {
  const [a, b] = await Promise.all([instance(), instance()])
  const before = await b!.droppedCounts()
  const result = await a!.accept([track('dropped@example.com', 'Not Mapped', 'mi-dropped-1')])
  const code = result.refusals?.[0]?.code
  expect(code).toBeDefined()
  const after = await b!.droppedCounts()
  expect(after.rejected[code!]).toBe((before.rejected[code!] ?? 0) + 1)
  expect(await a!.droppedCounts()).toEqual(after)
})
