import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Registry } from 'prom-client'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { parseSettings } from '../../src/core/settings.js'
import { createPerkvilleClient } from '../../src/perkville/client.js'
import type { DeliveryService, EventRecord } from '../../src/pipeline/service-api.js'
import { type RunningSandbox, startSandbox } from '../../src/sandbox/index.js'
import { dropSchema, randomSchema, requirePostgres, TEST_DATABASE_URL } from '../postgres/pg-harness.js'
import { acceptedEvents, MAP, openTestService, track, waitFor } from './harness.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** The sandbox's clock stands at noon in New York: every award of the test falls on one calendar day. */
const NOON = Date.parse('2026-12-07T17:00:00Z')

async function setUp(
  store: 'sqlite' | 'postgres',
  sandbox?: RunningSandbox,
  oncePerDayEvents = ['Checked In'],
) {
  const sb = sandbox ?? (await startSandbox({ memory: true, now: () => NOON }))
  if (!sandbox) cleanups.push(() => sb.close())
  const dir = mkdtempSync(join(tmpdir(), 'daily-'))
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }))
  let schema: string | undefined
  if (store === 'postgres') {
    schema = randomSchema('daily')
    const s = schema
    cleanups.push(() => dropSchema(s))
  }
  const client = createPerkvilleClient({ baseUrl: sb.url, token: sb.token, timeoutMs: 2_000 })
  cleanups.push(() => client.close())
  const registry = new Registry()
  const service = await openTestService({
    dataDir: dir,
    settings: parseSettings({
      apiKey: sb.token,
      businessId: 1001,
      locationId: 2001,
      eventToPerkMap: MAP,
      oncePerDayEvents,
    }),
    client,
    registry,
    backoff: { baseMs: 20, maxMs: 200 },
    pollMs: 50,
    ...(schema === undefined ? {} : { databaseUrl: TEST_DATABASE_URL, databaseSchema: schema }),
  })
  cleanups.push(() => service.stop())
  await service.start()
  return { sb, service, registry }
}

async function finished(service: DeliveryService, n: number): Promise<EventRecord[]> {
  return waitFor(async () => {
    const events = await acceptedEvents(service)
    const done = events.filter((e) => ['delivered', 'skipped', 'failed', 'parked'].includes(e.status))
    return done.length === n ? events : null
  }, `${n} events finished`)
}

const body = (e: EventRecord, i: number) =>
  (e.attemptLog[i]?.request as { body?: Record<string, unknown> } | undefined)?.body

describe.each(['sqlite', 'postgres'] as const)(
  'once per calendar day, delivered by the service (%s)',
  (store) => {
    beforeAll(async () => {
      if (store === 'postgres') await requirePostgres()
    })

    it('records Perkville refusing a second award that day as the skip DAILY_LIMIT_REACHED, counted apart and never retried', async () => {
      const { sb, service, registry } = await setUp(store)
      const first = track('kim@example.com', 'Checked In')
      const second = track('kim@example.com', 'Checked In')
      const other = track('lee@example.com', 'Checked In')
      const referral = [track('kim@example.com', 'Referral Sent'), track('kim@example.com', 'Referral Sent')]
      await service.accept([first, second, other, ...referral])
      const events = await finished(service, 5)

      // One check-in each for kim and lee, both referrals (not once per day) for kim.
      expect(
        sb
          .transactions()
          .map((t) => `${t.email}:${t.perk}`)
          .sort(),
      ).toEqual([
        'kim@example.com:3001',
        'kim@example.com:3003',
        'kim@example.com:3003',
        'lee@example.com:3001',
      ])
      const skipped = events.filter((e) => e.status === 'skipped')
      expect(skipped).toHaveLength(1)
      const [skip] = skipped
      expect(skip).toMatchObject({
        email: 'kim@example.com',
        perkId: '3001',
        failureReason: 'DAILY_LIMIT_REACHED',
        attempts: 1,
        nextAttemptAt: null,
      })
      expect(skip!.lastError).toMatch(
        /^Perkville awards perk 3001 once per calendar day and kim@example\.com already had it that day \(HTTP 400: Perk 3001 can be awarded once per calendar day/,
      )
      expect(body(skip!, 0)).toMatchObject({ perk: 3001, limit_to_once_per_calendar_day: true })
      const aReferral = events.find((e) => e.perkId === '3003')!
      expect(body(aReferral, 0)).not.toHaveProperty('limit_to_once_per_calendar_day')

      const range = { from: Date.now() - 60_000, to: Date.now() + 1_000 }
      const stats = await service.stats(range)
      expect(stats).toMatchObject({
        delivered: 4,
        skipped: { DAILY_LIMIT_REACHED: 1 },
        notDelivered: {},
        errors: [],
      })
      expect(stats.buckets.reduce((n, b) => n + b.skipped, 0)).toBe(1)
      expect(stats.buckets.reduce((n, b) => n + b.failed + b.rejected, 0)).toBe(0)
      const overview = await service.overview(range)
      expect(overview.funnel).toMatchObject({ received: 5, delivered: 4, skipped: 1, failed: 0, rejected: 0 })
      expect(overview.deliverability).toEqual({ firstTry: 1, final: 1 })
      const metrics = await registry.metrics()
      expect(metrics).toContain('perkville_events_skipped_total{code="DAILY_LIMIT_REACHED"} 1')
      expect(metrics).not.toContain('perkville_events_failed_total{')

      const search = await service.searchEvents({ status: 'skipped' })
      expect(search.events.map((e) => e.id)).toEqual([skip!.id])
      const detail = await service.eventDetail(skip!.id)
      expect(detail?.timeline.at(-1)?.what).toBe('skipped by Perkville: DAILY_LIMIT_REACHED (not an error)')
      // Never a failure to retry: the operator's retry refuses it, and nothing is sent again.
      expect(await service.retryEvent(skip!.id)).toBe(false)
      expect(await service.replayFailed({ from: range.from, to: range.to })).toBe(0)
      expect((await service.eventDetail(skip!.id))?.attemptLog).toHaveLength(1)
    })

    it('settles a lost answer by lookup, so the resend of a delivered once-per-day award is never recorded as a skip', async () => {
      // The sandbox checks the day before the key: a blind resend would be refused as the daily limit.
      const sb = await startSandbox({
        memory: true,
        now: () => NOON,
        faults: { commitThenFailRate: 1, commitThenFailMode: 'error', scope: 'writes' },
      })
      cleanups.push(() => sb.close())
      const { service } = await setUp(store, sb)
      const lost = track('ana@example.com', 'Checked In')
      await service.accept([lost])
      const [event] = await finished(service, 1)
      expect(event).toMatchObject({ status: 'delivered', failureReason: null })
      expect(event!.attemptLog.map((a) => a.outcome)).toEqual(['temporary', 'settled_found'])
      expect(sb.transactions()).toHaveLength(1)

      // A later check-in the same day really is the second: refused by Perkville, a skip.
      sb.setFaults({})
      await service.accept([track('ana@example.com', 'Checked In')])
      const events = await finished(service, 2)
      expect(events.map((e) => e.status)).toEqual(['skipped', 'delivered'])
      expect(sb.transactions()).toHaveLength(1)
      const stats = await service.stats({ from: Date.now() - 60_000, to: Date.now() + 1_000 })
      expect(stats).toMatchObject({ delivered: 1, skipped: { DAILY_LIMIT_REACHED: 1 }, notDelivered: {} })
    })

    it('a skipped order award earns nothing: its order shows nothing awarded in the customer view', async () => {
      const { sb, service } = await setUp(store, undefined, ['Order Completed'])
      await service.accept([
        track('ola@example.com', 'Order Completed', { order_id: 'A-1', revenue: 20 }),
        track('ola@example.com', 'Order Completed', { order_id: 'A-2', revenue: 30 }),
      ])
      const events = await finished(service, 2)
      expect(events.map((e) => [e.orderId, e.status])).toEqual([
        ['A-2', 'skipped'],
        ['A-1', 'delivered'],
      ])
      expect(sb.transactions().map((t) => t.quantity)).toEqual([20])
      const customer = await service.customer('ola@example.com')
      // Only the delivered award counts: in the quantities sent, and in the points Perkville recorded.
      const [landed] = sb.transactions()
      expect(customer.orders).toEqual([
        { orderId: 'A-1', awarded: 20, refunded: 0, pointsAwarded: landed!.points, pointsRemoved: 0 },
      ])
      expect(customer.quantities).toEqual({ awarded: 20, removed: 0 })
      expect(customer.points).toMatchObject({ awarded: landed!.points, removed: 0 })
    })
  },
)
