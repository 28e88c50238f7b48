import { afterEach, describe, expect, it } from 'vitest'
import { createPerkvilleClient } from '../../src/perkville/client.js'
import type { EventRecord, IncomingEvent } from '../../src/pipeline/service-api.js'
import { DUPLICATE_ANSWERS } from '../../src/sandbox/index.js'
import { ManualClock } from '../fixtures/manual-clock.js'
import {
  acceptedEvents,
  type Harness,
  type HarnessOptions,
  settingsFor,
  startHarness,
  track,
  waitFor,
} from './harness.js'

let h: Harness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

function idsOf(events: IncomingEvent[]): string[] {
  return events.map((e) => (e.payload as { messageId: string }).messageId)
}

/** Every accepted event is in the sandbox exactly once, and nothing else is. */
function expectExactlyOnce(h: Harness, ids: string[]): void {
  const counts = new Map<string, number>()
  for (const t of h.sandbox.transactions())
    counts.set(t.trans_source_id, (counts.get(t.trans_source_id) ?? 0) + 1)
  for (const id of ids) expect(counts.get(id), `transactions with trans_source_id ${id}`).toBe(1)
  expect(h.sandbox.transactions()).toHaveLength(ids.length)
}

async function drained(h: Harness): Promise<boolean> {
  return (await h.service.health()).queueDepth === 0
}

async function allEvents(h: Harness): Promise<EventRecord[]> {
  return await acceptedEvents(h.service, { limit: 500 })
}

function many(n: number, customers: number): IncomingEvent[] {
  return Array.from({ length: n }, (_, i) => track(`f${i % customers}@example.com`, 'Checked In'))
}

// Perkville does not document its answer to a duplicate trans_source_id: every delivery test with
// faults and lost answers runs under each plausible one, and must lose nothing and double nothing.
describe.each(DUPLICATE_ANSWERS)(
  'delivery under sandbox faults, duplicates answered %s',
  (duplicateAnswer) => {
    const start = (opts: HarnessOptions) => startHarness({ ...opts, behaviour: { duplicateAnswer } })

    it('a resend of a transaction Perkville already has (the lookup missed it) is delivered, not doubled', async () => {
      h = await start({})
      const [ev] = many(1, 1)
      const id = idsOf([ev!])[0]!
      // The earlier attempt, as if its answer was lost and a lookup made too early missed it.
      const other = createPerkvilleClient({ baseUrl: h.sandbox.url, token: h.sandbox.token })
      const tx = { perkId: '3001', email: 'f0@example.com', businessId: '1001', locationId: '2001' }
      const earlier = await other.postTransaction(
        {
          ...tx,
          sendEmail: false,
          quantity: 1,
          kind: 'event',
          orderId: null,
          messageId: id,
          timestamp: null,
        },
        id,
      )
      await other.close()
      expect(earlier.result.class).toBe('delivered')
      await h.service.accept([ev!])
      await waitFor(() => drained(h!), 'the queue to drain')
      const [record] = await allEvents(h)
      expect(record).toMatchObject({ status: 'delivered' })
      expect(record!.attemptLog.map((a) => a.outcome)).toEqual([
        duplicateAnswer === 'existing' ? 'delivered' : 'already_delivered',
      ])
      expectExactlyOnce(h, [id])
    })

    it('5xx and commit-then-fail (500): everything delivered exactly once, failures keep request and answer', async () => {
      h = await start({
        faults: { errorRate: 0.3, commitThenFailRate: 0.3, commitThenFailMode: 'error', seed: 7 },
      })
      const events = many(60, 6)
      expect(await h.service.accept(events)).toMatchObject({ queued: 60 })
      await waitFor(() => drained(h!), 'the queue to drain', 40_000)
      expectExactlyOnce(h, idsOf(events))
      const records = await allEvents(h)
      expect(records.every((r) => r.status === 'delivered')).toBe(true)
      const failedAttempts = records.flatMap((r) => r.attemptLog).filter((a) => a.outcome === 'temporary')
      expect(failedAttempts.length).toBeGreaterThan(0)
      for (const a of failedAttempts) {
        expect((a.response as { status: number }).status).toBeGreaterThanOrEqual(500)
        expect(a.request).toMatchObject({ method: 'POST', body: { business: 1001 } })
        expect(a.error).toMatch(/HTTP 5\d\d/)
      }
      // Unknown outcomes (5xx) were looked up before resending.
      expect(records.flatMap((r) => r.attemptLog).some((a) => a.outcome.startsWith('settled_'))).toBe(true)
      expect(JSON.stringify(records)).not.toContain(h.sandbox.token)
      const metrics = await h.registry.metrics()
      expect(metrics).toMatch(/perkville_delivery_retries_total\{kind="unknown"\} [1-9]/)
    })

    it('honours Retry-After on 429: the next attempt is not before it', async () => {
      // The service's time is the test's to move: the second wait is not waited in real time.
      const clock = new ManualClock(Date.now())
      h = await start({
        faults: { rateLimitRate: 1, retryAfter: 1, scope: 'writes' },
        service: { now: clock.now, timers: clock },
      })
      const [ev] = many(1, 1)
      await h.service.accept([ev!])
      const first = await waitFor(async () => {
        const [r] = await allEvents(h!)
        return r && r.attempts >= 1 ? r : null
      }, 'the first attempt')
      h.sandbox.setFaults({})
      expect(first.status).toBe('retrying')
      expect(first.attemptLog[0]).toMatchObject({ outcome: 'temporary' })
      expect((first.attemptLog[0]!.response as { status: number }).status).toBe(429)
      // A 429 was refused before any work: no lookup is needed before the resend.
      expect(first.outcomeUnknown).toBe(false)
      const nextAt = Date.parse(first.nextAttemptAt!)
      expect(nextAt - Date.parse(first.attemptLog[0]!.at)).toBeGreaterThanOrEqual(1_000)
      await clock.advance(1_000)
      await waitFor(() => drained(h!), 'delivery after the Retry-After')
      const [done] = await allEvents(h)
      const gap = Date.parse(done!.attemptLog[1]!.at) - Date.parse(done!.attemptLog[0]!.at)
      expect(gap).toBeGreaterThanOrEqual(1_000)
      expectExactlyOnce(h, idsOf([ev!]))
    })

    it('hangs (before and after commit) with a short client timeout: settled by lookup, no duplicates', async () => {
      h = await start({
        clientTimeoutMs: 300,
        faults: {
          hangRate: 0.2,
          commitThenFailRate: 0.3,
          commitThenFailMode: 'hang',
          scope: 'writes',
          seed: 3,
        },
      })
      const events = many(30, 5)
      await h.service.accept(events)
      await waitFor(() => drained(h!), 'the queue to drain', 40_000)
      expectExactlyOnce(h, idsOf(events))
      const records = await allEvents(h)
      const settled = records.filter((r) => r.attemptLog.some((a) => a.outcome === 'settled_found'))
      expect(settled.length).toBeGreaterThan(0)
      for (const r of settled) {
        // The hung POST had committed: the lookup found it and nothing was sent again.
        const found = r.attemptLog.findIndex((a) => a.outcome === 'settled_found')
        expect(r.attemptLog[found - 1]).toMatchObject({ outcome: 'temporary', response: null })
        expect(r.attemptLog[found - 1]!.error).toMatch(/timeout/)
        expect(r.attemptLog.slice(found + 1)).toHaveLength(0)
      }
    })

    it('commit-then-fail by a cut connection: settled, no duplicates', async () => {
      h = await start({
        faults: { commitThenFailRate: 0.5, commitThenFailMode: 'disconnect', scope: 'writes', seed: 11 },
      })
      const events = many(30, 30)
      await h.service.accept(events)
      await waitFor(() => drained(h!), 'the queue to drain', 40_000)
      expectExactlyOnce(h, idsOf(events))
      const records = await allEvents(h)
      expect(
        records.filter((r) => r.attemptLog.some((a) => a.outcome === 'settled_found')).length,
      ).toBeGreaterThan(0)
    })

    it('a lost answer whose lookup Perkville refuses is parked cannot_settle, never resent blind', async () => {
      h = await start({ faults: { commitThenFailRate: 1, scope: 'writes' } })
      h.sandbox.setBehaviour({ duplicateAnswer, lookupFilter: false })
      const [ev] = many(1, 1)
      const id = idsOf([ev!])[0]!
      await h.service.accept([ev!])
      const parked = await waitFor(async () => {
        const [r] = await allEvents(h!)
        return r?.status === 'parked' ? r : null
      }, 'the event to be parked')
      h.sandbox.setFaults({})
      expect(parked.failureReason).toBe('cannot_settle')
      expect(parked.lastError).toContain(`trans_source_id ${id}`)
      expect(parked.lastError).toContain('/retry')
      expect(parked.attemptLog.map((a) => a.outcome)).toEqual(['temporary', 'lookup_refused'])
      expect(h.sandbox.transactions()).toHaveLength(1)

      // Released (as a settings change would): still unknown, so it is looked up again and parked again.
      expect(await h.service.releaseParked()).toBe(1)
      await waitFor(async () => {
        const [r] = await allEvents(h!)
        return r?.status === 'parked' && r.attemptLog.length === 3 ? r : null
      }, 'the event to be parked again')
      expect(h.sandbox.transactions()).toHaveLength(1)

      // A settings change takes parked events back into the queue: this one is still unknown, so it
      // is looked up once more (refused again) and parked again; nothing is sent blind.
      await h.service.updateSettings({ ...settingsFor(h.sandbox.token), sendEmail: true })
      const again = await waitFor(async () => {
        const [r] = await allEvents(h!)
        return r?.status === 'parked' && r.attemptLog.length === 4 ? r : null
      }, 'the event to be parked after the settings change')
      expect(again.failureReason).toBe('cannot_settle')
      expect(again.attemptLog.map((a) => a.outcome)).toEqual([
        'temporary',
        'lookup_refused',
        'lookup_refused',
        'lookup_refused',
      ])
      expect(h.sandbox.transactions()).toHaveLength(1)

      // The operator looked in Perkville and retries: sent once with the same key, a duplicate is delivered.
      expect(await h.service.retryEvent(parked.id)).toBe(true)
      await waitFor(() => drained(h!), 'the retried event to be delivered')
      const [done] = await allEvents(h)
      expect(done).toMatchObject({ status: 'delivered' })
      expectExactlyOnce(h, [id])
    })

    it('an outage, then recovery: every event delivered exactly once', async () => {
      h = await start({ faults: { outage: true } })
      const events = many(40, 8)
      await h.service.accept(events)
      await waitFor(async () => {
        const records = await allEvents(h!)
        // Only each customer's head is attempted during the outage; the rest wait behind it.
        return records.filter((r) => r.status === 'retrying').length === 8
      }, 'every customer to be retrying')
      const during = await h.service.stats({ from: Date.now() - 60_000, to: Date.now() + 1_000 })
      // A head may be back in flight by now; together they are all still waiting.
      expect(during.retrying).toBeGreaterThan(0)
      expect(during.retrying + during.pending).toBe(40)
      expect(during.delivered).toBe(0)
      expect(during.errors.find((e) => e.reason === 'retrying')?.lastMessage).toMatch(/503/)
      h.sandbox.setFaults({})
      await waitFor(() => drained(h!), 'the queue to drain', 40_000)
      expectExactlyOnce(h, idsOf(events))
    })
  },
)
