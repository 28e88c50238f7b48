/**
 * The customer view counts Perkville's points (the `points` of each transaction it recorded), not
 * the quantities sent, and says whether they add up to Perkville's balance. On both stores.
 */
import { afterAll, describe, expect, test } from 'vitest'
import { createPerkvilleClient } from '../../src/perkville/client.js'
import type { DeliveryService } from '../../src/pipeline/service-api.js'
import { startSandbox } from '../../src/sandbox/index.js'
import { dropSchema, randomSchema, requirePostgres } from '../postgres/pg-harness.js'
import { openPostgresInstance } from '../postgres/pg-instance.js'
import { startHarness, track, waitFor } from './harness.js'

const cleanups: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const c of cleanups.reverse()) await c()
})

async function scenario(service: DeliveryService, sandboxUrl: string, token: string) {
  const email = `points-${Date.now()}@example.com`
  // A check-in (perk 3001: 10 points a visit), a referral (3003: 50) and a 49.99 order (3002: 1 point
  // per unit, 49) refunded in full (−49): 51.99 awarded and 49.99 removed in quantities, 60 points.
  const result = await service.accept([
    track(email, 'Checked In'),
    track(email, 'Referral Sent'),
    track(email, 'Order Completed', { order_id: 'P-1', revenue: 49.99 }),
    track(email, 'Order Refunded', { order_id: 'P-1', revenue: 49.99 }),
  ])
  expect(result.queued).toBe(4)
  await waitFor(async () => {
    const c = await service.customer(email)
    return c.events.every((e) => e.status === 'delivered')
  }, 'four deliveries')
  const c = await service.customer(email)
  expect(c.points).toEqual({ awarded: 109, removed: 49, unknown: 0 })
  expect(c.quantities).toEqual({ awarded: 51.99, removed: 49.99 })
  expect(c.balance).toEqual({ points: 60 })
  expect(c.reconciles).toBe(true)
  expect(c.orders).toEqual([
    { orderId: 'P-1', awarded: 49.99, refunded: 49.99, pointsAwarded: 49, pointsRemoved: 49 },
  ])
  const checkIn = c.events.find((e) => e.eventName === 'Checked In')!
  expect((await service.eventDetail(checkIn.id))?.points).toBe(10)

  // Points from elsewhere (another system granting in Perkville): the balance no longer adds up.
  const other = createPerkvilleClient({ baseUrl: sandboxUrl, token })
  cleanups.push(() => other.close())
  const granted = await other.postTransaction(
    {
      perkId: '3003',
      email,
      businessId: '1001',
      locationId: '2001',
      sendEmail: false,
      quantity: 1,
      kind: 'event',
      orderId: null,
      messageId: null,
      timestamp: null,
    },
    `elsewhere-${email}`,
  )
  expect(granted.result.class).toBe('delivered')
  const after = await service.customer(email)
  expect(after.balance).toEqual({ points: 110 })
  expect(after.points).toEqual(c.points)
  expect(after.reconciles).toBe(false)
}

describe('Perkville points on the customer view', () => {
  test('SQLite', async () => {
    const h = await startHarness()
    cleanups.push(() => h.close())
    await scenario(h.service, h.sandbox.url, h.sandbox.token)
  })

  test('PostgreSQL', async () => {
    await requirePostgres()
    const sandbox = await startSandbox({ memory: true })
    const schema = randomSchema('points')
    cleanups.push(async () => {
      await sandbox.close()
      await dropSchema(schema)
    })
    const service = await openPostgresInstance(schema, sandbox, cleanups, { pollMs: 50 })
    await service.start()
    await scenario(service, sandbox.url, sandbox.token)
  })
})
