import { afterEach, describe, expect, it } from 'vitest'
import { externalIdFor } from '../../src/core/external-id.js'
import type { IncomingEvent } from '../../src/pipeline/service-api.js'
import { acceptedEvents, type Harness, startHarness, track, waitFor } from './harness.js'

let h: Harness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

const DAY = 86_400_000

async function metric(h: Harness, name: string): Promise<string> {
  const text = await h.registry.metrics()
  return text
    .split('\n')
    .filter((l) => l.startsWith(name))
    .join('\n')
}

describe('accept → deliver', () => {
  it('delivers each accepted event exactly once with the right transaction', async () => {
    h = await startHarness()
    const events = [
      track('Ann@Example.com', 'Order Completed', { order_id: 'o-1', revenue: '12.345' }),
      track('bob@example.com', 'Checked In'),
      track('cy@example.com', 'Referral Sent'),
    ]
    expect(await h.service.accept(events)).toEqual({
      queued: 3,
      duplicates: 0,
      skipped: 0,
      rejected: 0,
      dropped: 0,
      refusals: [],
    })
    await waitFor(async () => (await h!.service.health()).queueDepth === 0, 'queue to drain')
    const txs = h.sandbox.transactions()
    expect(txs).toHaveLength(3)
    const byExt = new Map(txs.map((t) => [t.trans_source_id, t]))
    const ann = byExt.get((events[0]!.payload as { messageId: string }).messageId)
    // The sandbox stores emails lower-cased, as Perkville matches them.
    expect(ann).toMatchObject({
      email: 'ann@example.com',
      perk: 3002,
      quantity: 12.35,
      business: 1001,
      location: 2001,
    })
    expect(byExt.get((events[1]!.payload as { messageId: string }).messageId)).toMatchObject({
      perk: 3001,
      quantity: 1,
    })
    expect(byExt.get((events[2]!.payload as { messageId: string }).messageId)).toMatchObject({
      perk: 3003,
      quantity: 1,
    })

    const records = await acceptedEvents(h.service, { status: 'delivered' })
    expect(records).toHaveLength(3)
    for (const r of records) {
      expect(r.attempts).toBe(1)
      expect(r.deliveredAt).not.toBeNull()
      expect(r.attemptLog).toHaveLength(1)
      expect(r.attemptLog[0]).toMatchObject({ outcome: 'delivered' })
      expect(JSON.stringify(r.attemptLog)).not.toContain(h.sandbox.token)
      expect((r.attemptLog[0]!.response as { status: number }).status).toBe(201)
    }
    expect(await metric(h, 'perkville_events_delivered_total')).toContain(
      'perkville_events_delivered_total 3',
    )
    expect(await metric(h, 'perkville_events_queued_total')).toContain('perkville_events_queued_total 3')
    const stats = await h.service.stats({ from: Date.now() - 60_000, to: Date.now() + 1_000 })
    expect(stats).toMatchObject({ received: 3, delivered: 3, pending: 0, retrying: 0 })
    expect(stats.latencyMs.p95).not.toBeNull()
    expect(stats.buckets.reduce((a, b) => a + b.delivered, 0)).toBe(3)
  })

  it('refuses at the door by code, skips apart from rejects, keeps samples and counts (also across a restart), never queues them', async () => {
    h = await startHarness()
    const bad: IncomingEvent[] = [
      {
        source: 'tracking-api',
        receivedAt: Date.now(),
        payload: { type: 'track', event: 'Checked In', messageId: 'noid' },
      },
      track('a@example.com', 'Not Mapped'),
      track('a@example.com', 'Order Completed', { order_id: 'z', revenue: 0 }),
      { source: 'webhook', receivedAt: Date.now(), payload: { type: 'page', userId: 'u', messageId: 'pg' } },
      { source: 'webhook', receivedAt: Date.now(), payload: [1, 2] },
      track('not-an-email', 'Checked In'),
    ]
    const good = track('a@example.com', 'Checked In')
    const result = await h.service.accept([...bad, good])
    expect({ ...result, refusals: undefined }).toEqual({
      queued: 1,
      duplicates: 0,
      skipped: 1,
      rejected: 5,
      dropped: 6,
      refusals: undefined,
    })
    // Each rejected event by its place in the request (the skip is not a refusal).
    expect(result.refusals?.map((r) => [r.index, r.code])).toEqual([
      [0, 'MISSING_IDENTITY'],
      [1, 'EVENT_NOT_ALLOWLISTED'],
      [3, expect.any(String)],
      [4, 'INVALID_EVENT'],
      [5, 'INVALID_EMAIL'],
    ])
    const counts = await h.service.droppedCounts()
    expect(counts).toEqual({
      skipped: { ZERO_AMOUNT: 1 },
      rejected: {
        MISSING_IDENTITY: 1,
        EVENT_NOT_ALLOWLISTED: 1,
        UNSUPPORTED_EVENT_TYPE: 1,
        INVALID_EVENT: 1,
        INVALID_EMAIL: 1,
      },
    })
    const samples = h.service.droppedSamples()
    expect(samples).toHaveLength(6)
    expect(samples.find((s) => s.code === 'ZERO_AMOUNT')?.kind).toBe('skip')
    expect(samples.find((s) => s.code === 'INVALID_EMAIL')?.kind).toBe('reject')
    expect(samples.find((s) => s.code === 'MISSING_IDENTITY')).toMatchObject({
      messageId: 'noid',
      event: 'Checked In',
    })
    expect(samples.find((s) => s.code === 'EVENT_NOT_ALLOWLISTED')?.message).toContain('Not Mapped')
    expect(await metric(h, 'perkville_events_skipped_total')).toContain('code="ZERO_AMOUNT"} 1')
    expect(await metric(h, 'perkville_events_rejected_total')).not.toContain('ZERO_AMOUNT')
    expect(await metric(h, 'perkville_events_rejected_total')).toContain('code="INVALID_EMAIL"} 1')
    await waitFor(() => h!.sandbox.transactions().length === 1, 'the good event')
    const stats = await h.service.stats({ from: Date.now() - 60_000, to: Date.now() + 60_000 })
    expect(stats.received).toBe(7)
    expect(stats.notDelivered).toMatchObject({ MISSING_IDENTITY: 1 })
    expect(stats.notDelivered).not.toHaveProperty('ZERO_AMOUNT')
    expect(stats.skipped).toEqual({ ZERO_AMOUNT: 1 })
    expect(stats.buckets.reduce((a, b) => a + b.rejected, 0)).toBe(5)
    expect(stats.buckets.reduce((a, b) => a + b.skipped, 0)).toBe(1)
    await h.restart()
    expect(await h.service.droppedCounts()).toEqual(counts)
  })

  it('names each event an order rule fails by its place in the request', async () => {
    h = await startHarness()
    const order = () => track('o@example.com', 'Order Completed', { order_id: 'o-77', revenue: 10 })
    const result = await h.service.accept([track('o@example.com', 'Checked In'), order(), order()])
    expect(result).toMatchObject({ queued: 2, dropped: 1 })
    expect(result.refusals?.map((r) => [r.index, r.code])).toEqual([[2, 'order_already_awarded']])
  })

  it('dedups by messageId within the window and accepts again after it; Perkville still gets one', async () => {
    let clock = Date.now()
    h = await startHarness({ service: { now: () => clock, dedupWindowMs: 7 * DAY } })
    const ev = track('d@example.com', 'Checked In')
    const again = () => ({ ...ev, receivedAt: clock })
    expect(await h.service.accept([ev, again()])).toMatchObject({ queued: 1, duplicates: 1, dropped: 0 })
    expect(await h.service.accept([again()])).toMatchObject({ queued: 0, duplicates: 1, dropped: 0 })
    await waitFor(() => h!.sandbox.transactions().length === 1, 'delivery')
    clock += 6 * DAY
    expect(await h.service.accept([again()])).toMatchObject({ queued: 0, duplicates: 1 })
    clock += 2 * DAY
    expect(await h.service.accept([again()])).toMatchObject({ queued: 1, duplicates: 0 })
    const messageId = (ev.payload as { messageId: string }).messageId
    await waitFor(async () => {
      const events = await acceptedEvents(h!.service, { messageId })
      return events.length === 2 && events.every((e) => e.status === 'delivered')
    }, 'the re-accepted copy to settle as delivered (409)')
    expect(h.sandbox.transactions().filter((t) => t.trans_source_id === messageId)).toHaveLength(1)
    const events = await acceptedEvents(h.service, { messageId })
    expect(events[0]!.attemptLog[0]).toMatchObject({ outcome: 'already_delivered' })
    expect((events[0]!.attemptLog[0]!.response as { status: number }).status).toBe(409)
  })

  it('gives events without messageId a stable content hash id, so a resend is a duplicate', async () => {
    h = await startHarness()
    const payload = {
      type: 'track',
      event: 'Checked In',
      anonymousId: 'anon-1',
      properties: { email: 'h@example.com' },
    }
    const first: IncomingEvent = { source: 'webhook', receivedAt: Date.now(), payload }
    const resent: IncomingEvent = {
      source: 'webhook',
      receivedAt: Date.now() + 5,
      payload: {
        properties: { email: 'h@example.com' },
        anonymousId: 'anon-1',
        event: 'Checked In',
        type: 'track',
        sentAt: 'x',
      },
    }
    expect(await h.service.accept([first])).toMatchObject({ queued: 1 })
    expect(await h.service.accept([resent])).toMatchObject({ queued: 0, duplicates: 1 })
    await waitFor(() => h!.sandbox.transactions().length === 1, 'delivery')
    const id = externalIdFor(payload)
    expect(id).toMatch(/^sha256-[0-9a-f]{40}$/)
    expect(h.sandbox.transactions()[0]!.trans_source_id).toBe(id)
    const other = { ...payload, properties: { email: 'h@example.com', plan: 'gold' } }
    expect(
      await h.service.accept([{ source: 'webhook', receivedAt: Date.now(), payload: other }]),
    ).toMatchObject({
      queued: 1,
    })
  })

  it('coalesces concurrent accepts and stores every one of them', async () => {
    h = await startHarness({ noStart: true })
    const calls = Array.from({ length: 40 }, (_, i) =>
      Array.from({ length: 25 }, (_, j) => track(`c${(i * 25 + j) % 50}@example.com`, 'Checked In')),
    )
    const results = await Promise.all(calls.map((b) => h!.service.accept(b)))
    expect(results.reduce((a, r) => a + r.queued, 0)).toBe(1000)
    expect((await h.service.health()).queueDepth).toBe(1000)
    await h.service.start()
    await waitFor(() => h!.sandbox.transactions().length === 1000, '1000 deliveries')
    expect(new Set(h.sandbox.transactions().map((t) => t.trans_source_id)).size).toBe(1000)
  })
})

describe('robustness at the door', () => {
  it('a missing receive time or an odd event never costs the good events next to it', async () => {
    h = await startHarness({ noStart: true })
    const noTime = { ...track('t@example.com', 'Checked In'), receivedAt: Number.NaN }
    let deep: unknown = 'x'
    for (let i = 0; i < 20_000; i++) deep = { d: deep }
    const weird = {
      source: 'webhook' as const,
      receivedAt: Date.now(),
      payload: {
        type: 'track',
        userId: 'u',
        event: 'Checked In',
        properties: { email: 'w@example.com', deep },
      },
    }
    const good = track('g@example.com', 'Checked In')
    const r = await h.service.accept([noTime, weird, good])
    expect(r.queued + r.dropped).toBe(3)
    expect(r.queued).toBeGreaterThanOrEqual(2)
    const health = await h.service.health()
    expect(health).toMatchObject({ storage: 'ok', shuttingDown: false, queueDepth: r.queued })
    const stored = (await acceptedEvents(h.service, { email: 't@example.com' }))[0]!
    expect(Number.isNaN(Date.parse(stored.receivedAt))).toBe(false)
  })
})

describe('queries', () => {
  it('lists by status, email (any case), messageId and order id, pages with a cursor, and gets one', async () => {
    h = await startHarness({ noStart: true })
    const evs = [
      ...Array.from({ length: 7 }, () => track('Page@Example.com', 'Checked In')),
      track('other@example.com', 'Order Completed', { order_id: 'ord-9', revenue: 5 }),
      track('other@example.com', 'Mystery Perk'),
    ]
    await h.service.accept(evs)
    const byEmail = await h.service.searchEvents({ email: 'page@EXAMPLE.com', limit: 3 })
    expect(byEmail.events).toHaveLength(3)
    expect(byEmail.nextCursor).not.toBeNull()
    const seen = byEmail.events.map((e) => e.id)
    let cursor = byEmail.nextCursor
    while (cursor) {
      const page = await h.service.searchEvents({ email: 'page@example.com', limit: 3, cursor })
      seen.push(...page.events.map((e) => e.id))
      cursor = page.nextCursor
    }
    expect(seen).toHaveLength(7)
    expect(new Set(seen).size).toBe(7)
    expect(seen.map(Number)).toEqual([...seen.map(Number)].sort((a, b) => b - a))

    const byOrder = await acceptedEvents(h.service, { orderId: 'ord-9' })
    expect(byOrder.map((e) => e.email)).toEqual(['other@example.com'])
    const mid = (evs[3]!.payload as { messageId: string }).messageId
    const byMessage = await acceptedEvents(h.service, { messageId: mid })
    expect(byMessage).toHaveLength(1)
    const one = await h.service.eventDetail(byMessage[0]!.id)
    expect(one).toMatchObject({ messageId: mid, status: 'pending', email: 'Page@Example.com' })
    expect(await h.service.eventDetail('999999')).toBeNull()
    expect(await h.service.eventDetail('nope')).toBeNull()
    await expect(h.service.searchEvents({ cursor: 'garbage' })).rejects.toThrow(/cursor/)

    await h.service.start()
    await waitFor(async () => (await h!.service.health()).queueDepth === 0, 'the queue to drain')
    // The unknown perk parks its event (waiting for a settings change) rather than failing it.
    expect(await acceptedEvents(h.service, { status: 'parked' })).toHaveLength(1)
    expect(await acceptedEvents(h.service, { status: 'delivered' })).toHaveLength(8)
    expect(await acceptedEvents(h.service, { status: 'pending' })).toHaveLength(0)
  })
})
