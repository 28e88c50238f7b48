import { afterEach, describe, expect, it } from 'vitest'
import type { IncomingEvent } from '../../src/pipeline/service-api.js'
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

const order = (email: string, id: string, revenue: number) =>
  track(email, 'Order Completed', { order_id: id, revenue })
const refund = (email: string, id: string, total: number) =>
  track(email, 'Order Refunded', { order_id: id, total })

async function drain(h: Harness) {
  await waitFor(async () => (await h.service.health()).queueDepth === 0, 'the queue to drain')
}

function sumFor(h: Harness, email: string): number {
  return h.sandbox
    .transactions()
    .filter((t) => t.email === email)
    .reduce((a, t) => a + t.quantity, 0)
}

describe('order rules (on by default)', () => {
  it('awards an order once however many messageIds it comes under', async () => {
    const h = await harness()
    const a = order('o@example.com', 'A-1', 20)
    const dup = order('o@example.com', 'A-1', 20)
    expect(await h.service.accept([a])).toMatchObject({ queued: 1 })
    expect(await h.service.accept([dup])).toEqual({
      queued: 0,
      duplicates: 0,
      skipped: 0,
      rejected: 0,
      dropped: 1,
      refusals: [
        { index: 0, code: 'order_already_awarded', message: expect.stringContaining('already earned') },
      ],
    })
    await drain(h)
    expect(h.sandbox.transactions()).toHaveLength(1)
    const [held] = await acceptedEvents(h.service, { status: 'failed' })
    expect(held).toMatchObject({ failureReason: 'order_already_awarded', orderId: 'A-1', attempts: 0 })
    expect(held!.lastError).toMatch(/A-1/)
    // A bulk replay leaves policy decisions alone.
    expect(await h.service.replayFailed({ from: 0, to: Date.now() + 1_000 })).toBe(0)
  })

  it('caps refunds at what the order awarded: clamps the excess, fails a refund with nothing left', async () => {
    const h = await harness()
    const events: IncomingEvent[] = [
      order('r@example.com', 'B-1', 20),
      refund('r@example.com', 'B-1', 5),
      refund('r@example.com', 'B-1', 30),
      refund('r@example.com', 'B-1', 1),
      refund('r@example.com', 'NEVER-AWARDED', 3),
    ]
    expect(await h.service.accept(events)).toEqual({
      queued: 3,
      duplicates: 0,
      skipped: 0,
      rejected: 0,
      dropped: 2,
      refusals: [3, 4].map((index) => ({
        index,
        code: 'refund_exceeds_order',
        message: expect.stringContaining('nothing of the order is left'),
      })),
    })
    await drain(h)
    expect(
      h.sandbox
        .transactions()
        .map((t) => t.quantity)
        .sort((x, y) => x - y),
    ).toEqual([-15, -5, 20])
    expect(sumFor(h, 'r@example.com')).toBe(0)
    const clamped = (await acceptedEvents(h.service, { orderId: 'B-1', status: 'delivered' })).find(
      (e) => e.quantity === -15,
    )
    expect(clamped).toMatchObject({ requestedQuantity: -30, kind: 'refund' })
    const failed = await acceptedEvents(h.service, { status: 'failed' })
    expect(failed.map((e) => e.failureReason)).toEqual(['refund_exceeds_order', 'refund_exceeds_order'])
    const stats = await h.service.stats({ from: Date.now() - 60_000, to: Date.now() + 1_000 })
    expect(stats.notDelivered).toMatchObject({ refund_exceeds_order: 2 })
  })

  it('releases an order whose award failed: its queued refunds fail, a later award of it goes through', async () => {
    const h = await harness({ faults: { outage: true }, service: { retryForMs: 200 } })
    await h.service.accept([order('e@example.com', 'C-1', 40), refund('e@example.com', 'C-1', 10)])
    await waitFor(async () => (await acceptedEvents(h.service, { status: 'failed' })).length === 2, 'expiry')
    const failed = await acceptedEvents(h.service, { orderId: 'C-1' })
    expect(failed.map((e) => e.failureReason).sort()).toEqual(['expired', 'refund_exceeds_order'])
    expect(failed.find((e) => e.kind === 'refund')!.attempts).toBe(0)
    expect((await h.service.health()).queueDepth).toBe(0)
    h.sandbox.setFaults({})
    expect(await h.service.accept([order('e@example.com', 'C-1', 40)])).toMatchObject({ queued: 1 })
    await drain(h)
    expect(h.sandbox.transactions().map((t) => t.quantity)).toEqual([40])
  })
})

describe('order rules switched off', () => {
  it('sends every award and every refund as they come', async () => {
    const h = await harness({ service: { orderRules: { oneAwardPerOrder: false, capRefunds: false } } })
    await h.service.accept([
      order('f@example.com', 'D-1', 20),
      order('f@example.com', 'D-1', 20),
      refund('f@example.com', 'D-1', 50),
      refund('f@example.com', 'NEVER', 3),
    ])
    await drain(h)
    expect(h.sandbox.transactions().map((t) => t.quantity)).toEqual([20, 20, -50, -3])
  })

  it('one rule without the other: refunds capped, repeated awards allowed', async () => {
    const h = await harness({ service: { orderRules: { oneAwardPerOrder: false } } })
    await h.service.accept([
      order('g@example.com', 'E-1', 20),
      order('g@example.com', 'E-1', 20),
      refund('g@example.com', 'E-1', 100),
    ])
    await drain(h)
    expect(h.sandbox.transactions().map((t) => t.quantity)).toEqual([20, 20, -40])
  })
})
