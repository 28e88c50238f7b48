import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_SEED, startSandbox } from '../../src/sandbox/index.js'
import { ManualClock } from '../fixtures/manual-clock.js'
import { acceptedEvents, type Harness, startHarness, track, waitFor } from './harness.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function harness(opts: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
  const h = await startHarness(opts)
  cleanups.push(() => h.close())
  return h
}

const DAY = 86_400_000

describe('permanent failures, retry and replay', () => {
  it('parks an unknown perk at once with Perkville’s message and what to do, without holding the customer', async () => {
    const h = await harness()
    const bad = track('m@example.com', 'Mystery Perk')
    const good = track('m@example.com', 'Checked In')
    await h.service.accept([bad, good])
    await waitFor(() => h.sandbox.transactions().length === 1, 'the next event of the same customer')
    const [failed] = await acceptedEvents(h.service, { status: 'parked' })
    expect(failed).toMatchObject({ failureReason: 'unknown_perk', attempts: 1, perkId: '9999' })
    expect(failed!.lastError).toMatch(/perk 9999 of business 1001 \(HTTP 404: perk 9999 not found/)
    expect(failed!.lastError).toMatch(/Correct the settings in Settings/)
    expect(failed!.attemptLog).toHaveLength(1)
    const attempt = failed!.attemptLog[0]!
    expect(attempt.request).toMatchObject({ method: 'POST', body: { perk: 9999, email: 'm@example.com' } })
    expect(JSON.stringify(attempt.request)).not.toContain(h.sandbox.token)
    expect((attempt.request as { headers: Record<string, string> }).headers.authorization).toBe(
      'Bearer [redacted]',
    )
    expect(attempt.response).toMatchObject({
      status: 404,
      body: { detail: expect.stringContaining('perk 9999') },
    })
    const stats = await h.service.stats({ from: Date.now() - 60_000, to: Date.now() + 1_000 })
    expect(stats.notDelivered).toEqual({})
    expect(stats.parked).toBe(1)
    expect(stats.errors[0]).toMatchObject({ reason: 'unknown_perk', count: 1 })
    expect(stats.errors[0]!.lastMessage).toMatch(/perk 9999/)
    expect(await h.registry.metrics()).toContain('perkville_events_parked_total{reason="unknown_perk"} 1')
    expect(await h.registry.metrics()).not.toContain('perkville_events_failed_total{')
  })

  it('retryEvent and releaseParked re-queue parked events once the cause is fixed in Perkville', async () => {
    // A business without the referral perk yet: Referral Sent parks on a 404.
    const base = DEFAULT_SEED.businesses[0]!
    const seed = {
      ...DEFAULT_SEED,
      businesses: [{ ...base, perks: base.perks!.filter((p) => p.id !== 3003) }],
    }
    const first = await startSandbox({ memory: true, seed })
    let sandbox = first
    cleanups.push(() => sandbox.close())
    const h = await harness({ sandbox: first })
    const t0 = Date.now()
    const events = Array.from({ length: 4 }, (_, i) => track(`r${i}@example.com`, 'Referral Sent'))
    await h.service.accept(events)
    await waitFor(
      async () => (await acceptedEvents(h.service, { status: 'parked' })).length === 4,
      'four 404s',
    )
    expect(await h.service.retryEvent('999999')).toBe(false)
    // The perk is created (the sandbox comes back with it at the same address).
    await first.close()
    sandbox = await startSandbox({ memory: true, port: first.port })
    const [one] = await acceptedEvents(h.service, { email: 'r0@example.com' })
    expect(await h.service.retryEvent(one!.id)).toBe(true)
    expect(await h.service.retryEvent(one!.id)).toBe(false)
    await waitFor(() => sandbox.transactions().length === 1, 'the retried event')
    // The sandbox commits before the service records the outcome, so wait for the record itself.
    const retried = await waitFor(async () => {
      const ev = await h.service.eventDetail(one!.id)
      return ev?.status === 'delivered' ? ev : null
    }, 'the retried event recorded as delivered')
    expect(retried).toMatchObject({ status: 'delivered', failureReason: null })
    // The 404, then the retry; a pooled connection to the restarted sandbox may fail once more and be
    // settled by lookup, so more than two attempts is allowed — more than one transaction is not.
    expect(retried.attempts).toBeGreaterThanOrEqual(2)
    expect(sandbox.transactions().filter((tx) => tx.trans_source_id === retried.externalId)).toHaveLength(1)
    expect(
      await h.service.replayFailed({ from: t0 - 1_000, to: Date.now() + 1_000, reason: 'expired' }),
    ).toBe(0)
    // Parked is not failed: a replay of failed events leaves them alone; releasing them does not.
    expect(await h.service.replayFailed({ from: t0 - 1_000, to: Date.now() + 1_000 })).toBe(0)
    expect(await h.service.releaseParked()).toBe(3)
    await waitFor(() => sandbox.transactions().length === 4, 'the released events')
    expect(await acceptedEvents(h.service, { status: 'parked' })).toHaveLength(0)
  })

  it('expires an event still failing after retryForMs', async () => {
    const h = await harness({ faults: { outage: true }, service: { retryForMs: 300 } })
    await h.service.accept([track('x@example.com', 'Checked In')])
    const failed = await waitFor(
      async () => (await acceptedEvents(h.service, { status: 'failed' }))[0],
      'expiry',
    )
    expect(failed.failureReason).toBe('expired')
    expect(failed.lastError).toMatch(/503/)
    // One POST (503: fate unknown), then lookups that also failed: never a blind resend.
    expect(failed.attempts).toBe(1)
    expect(failed.attemptLog.length).toBeGreaterThan(1)
    expect(failed.attemptLog.slice(1).every((a) => a.outcome === 'lookup_failed')).toBe(true)
    expect(await h.registry.metrics()).toContain('perkville_events_failed_total{reason="expired"} 1')
    expect((await h.service.health()).queueDepth).toBe(0)
  })
})

describe('retention', () => {
  it('prunes delivered and failed events past retention, keeps undelivered and parked ones', async () => {
    const clock = new ManualClock(Date.now())
    // Pruning runs daily on the hand-moved clock; the event left retrying is not due again within the test.
    const h = await harness({
      service: {
        now: clock.now,
        timers: clock,
        retentionMs: 30 * DAY,
        retryForMs: 365 * DAY,
        pruneIntervalMs: DAY,
        pollMs: DAY,
        backoff: { baseMs: 100 * DAY, maxMs: 100 * DAY },
        random: () => 0.99,
      },
    })
    const old = [
      track('a@example.com', 'Checked In'),
      track('b@example.com', 'Mystery Perk'),
      // The second award of one order fails at once (an order rule).
      track('f@example.com', 'Order Completed', { order_id: 'o-1', revenue: 5 }),
      track('f@example.com', 'Order Completed', { order_id: 'o-1', revenue: 5 }),
    ]
    for (const e of old) e.receivedAt = clock.now()
    await h.service.accept(old)
    await waitFor(async () => (await h.service.health()).queueDepth === 0, 'delivered, parked and failed')
    h.sandbox.setFaults({ outage: true })
    const stuck = track('c@example.com', 'Checked In')
    stuck.receivedAt = clock.now()
    await h.service.accept([stuck])
    await waitFor(
      async () => (await acceptedEvents(h.service, { status: 'retrying' })).length === 1,
      'retrying',
    )
    // Each daily prune over 29 days runs (and is awaited) on the way: none removes anything yet.
    await clock.advance(29 * DAY)
    expect(await acceptedEvents(h.service)).toHaveLength(5)
    expect(await acceptedEvents(h.service, { status: 'failed' })).toHaveLength(1)
    await clock.advance(2 * DAY)
    expect(await acceptedEvents(h.service)).toHaveLength(2)
    const kept = await acceptedEvents(h.service)
    expect(kept.map((e) => [e.email, e.status])).toEqual([
      ['c@example.com', 'retrying'],
      ['b@example.com', 'parked'],
    ])
    // The dedup window (7 days) is long past: the same messageId is accepted again.
    const again = { ...old[0]!, receivedAt: clock.now() }
    expect(await h.service.accept([again])).toMatchObject({ queued: 1 })
  })
})
