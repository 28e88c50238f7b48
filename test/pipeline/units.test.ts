import { describe, expect, it } from 'vitest'
import type { Transaction } from '../../src/core/types.js'
import { retryDelayMs } from '../../src/pipeline/backoff.js'
import { atTheDoor, DropLog, refusalTotals } from '../../src/pipeline/door.js'
import {
  EMPTY_LEDGER,
  refundsExceedAwards,
  refundsToCancel,
  releaseShare,
  reserveAgain,
} from '../../src/pipeline/order-ledger.js'
import { decideOrder } from '../../src/pipeline/order-rules.js'
import { scrub } from '../../src/pipeline/redact.js'
import { defaultBucketMs, LatencyHistogram, validateStatsQuery } from '../../src/pipeline/stats.js'
import { applyOrderRule } from '../../src/pipeline/storage/order-step.js'
import type { AcceptContext, LedgerState } from '../../src/pipeline/storage/storage.js'
import { settingsFor } from './harness.js'

const settings = settingsFor('secret-token-123456')

describe('backoff', () => {
  const opts = { baseMs: 100, maxMs: 1_000 }
  it('draws within [0, min(max, base·2^(n-1))]', () => {
    expect(retryDelayMs(1, opts, null, () => 0.999)).toBe(99)
    expect(retryDelayMs(3, opts, null, () => 0.999)).toBe(399)
    expect(retryDelayMs(20, opts, null, () => 0.999)).toBe(999)
    expect(retryDelayMs(5, opts, null, () => 0)).toBe(0)
  })
  it('never goes below Retry-After', () => {
    expect(retryDelayMs(1, opts, 5_000, () => 0.5)).toBe(5_000)
    expect(retryDelayMs(10, opts, 10, () => 0.5)).toBe(500)
  })
})

const tx = (over: Partial<Transaction>): Transaction => ({
  perkId: '3002',
  email: 'a@b.co',
  businessId: '1001',
  locationId: '2001',
  sendEmail: false,
  quantity: 10,
  kind: 'spend',
  orderId: 'o1',
  messageId: null,
  timestamp: null,
  ...over,
})

describe('order ledger', () => {
  const ledger = { awardedCents: 1000, refundedCents: 700 }
  it('a failed award or refund gives back its share, never below zero', () => {
    expect(releaseShare(ledger, { orderId: 'o1', kind: 'spend', quantity: 10 })).toEqual({
      awardedCents: 0,
      refundedCents: 700,
    })
    expect(releaseShare(ledger, { orderId: 'o1', kind: 'refund', quantity: -7.5 })).toEqual({
      awardedCents: 1000,
      refundedCents: 0,
    })
    expect(refundsExceedAwards({ awardedCents: 0, refundedCents: 700 })).toBe(true)
    expect(refundsExceedAwards(ledger)).toBe(false)
  })
  it('cancels queued refunds newest first until the refunds fit the awards', () => {
    const queued = [
      { id: 'r3', quantity: -3 },
      { id: 'r2', quantity: -2 },
      { id: 'r1', quantity: -2 },
    ]
    expect(refundsToCancel({ awardedCents: 300, refundedCents: 700 }, queued)).toEqual({
      ledger: { awardedCents: 300, refundedCents: 200 },
      cancel: [queued[0], queued[1]],
    })
    expect(refundsToCancel(ledger, queued).cancel).toEqual([])
  })
  it('a retried award or refund reserves its share again', () => {
    expect(reserveAgain(EMPTY_LEDGER, { orderId: 'o1', kind: 'spend', quantity: 12.34 })).toEqual({
      awardedCents: 1234,
      refundedCents: 0,
    })
    expect(reserveAgain(ledger, { orderId: 'o1', kind: 'refund', quantity: -0.01 })).toEqual({
      awardedCents: 1000,
      refundedCents: 701,
    })
  })
})

describe('order rules', () => {
  const on = { oneAwardPerOrder: true, capRefunds: true }
  it('one award per order and perk', () => {
    expect(decideOrder(on, tx({}), { awardedCents: 0, refundedCents: 0 })).toEqual({
      action: 'queue',
      quantity: 10,
      ledger: { awardedCents: 1000, refundedCents: 0 },
    })
    const second = decideOrder(on, tx({}), { awardedCents: 1000, refundedCents: 0 })
    expect(second).toMatchObject({ action: 'fail', reason: 'order_already_awarded' })
  })
  it('clamps a refund to what is left and fails one with nothing left', () => {
    const refund = tx({ kind: 'refund', quantity: -15.5 })
    expect(decideOrder(on, refund, { awardedCents: 1000, refundedCents: 250 })).toEqual({
      action: 'queue',
      quantity: -7.5,
      ledger: { awardedCents: 1000, refundedCents: 1000 },
    })
    expect(decideOrder(on, refund, { awardedCents: 1000, refundedCents: 1000 })).toMatchObject({
      action: 'fail',
      reason: 'refund_exceeds_order',
    })
    expect(decideOrder(on, refund, { awardedCents: 0, refundedCents: 0 })).toMatchObject({ action: 'fail' })
  })
  it('switched off: everything queues unchanged', () => {
    const off = { oneAwardPerOrder: false, capRefunds: false }
    expect(decideOrder(off, tx({}), { awardedCents: 1000, refundedCents: 0 })).toEqual({
      action: 'queue',
      quantity: 10,
      ledger: null,
    })
    expect(
      decideOrder(off, tx({ kind: 'refund', quantity: -50 }), { awardedCents: 0, refundedCents: 0 }),
    ).toEqual({
      action: 'queue',
      quantity: -50,
      ledger: null,
    })
  })
  it('events without an order are not touched', () => {
    expect(
      decideOrder(on, tx({ kind: 'event', orderId: null, quantity: 1 }), {
        awardedCents: 0,
        refundedCents: 0,
      }),
    ).toEqual({ action: 'queue', quantity: 1, ledger: null })
  })
})

describe('applyOrderRule (the order rules as the stores apply them)', () => {
  const on: AcceptContext['orderRule'] = (t, l) =>
    decideOrder({ oneAwardPerOrder: true, capRefunds: true }, t, l)
  const off: AcceptContext['orderRule'] = (t, l) =>
    decideOrder({ oneAwardPerOrder: false, capRefunds: false }, t, l)
  it('queues an event outside any order ledger as it is, without asking the rule', () => {
    const asked: Transaction[] = []
    const rule: AcceptContext['orderRule'] = (t, l) => {
      asked.push(t)
      return on(t, l)
    }
    for (const t of [tx({ orderId: null }), tx({ kind: 'event', quantity: 1 })]) {
      const step = applyOrderRule(rule, t, { awardedCents: 5000, refundedCents: 0 })
      expect(step).toEqual({ tx: t, requestedQuantity: null, ledger: null, failure: null })
      expect(step.tx).toBe(t)
    }
    expect(asked).toEqual([])
  })

  it('runs a first award of an order against an empty ledger and returns the row to write', () => {
    const t = tx({})
    expect(applyOrderRule(on, t, null)).toEqual({
      tx: t,
      requestedQuantity: null,
      ledger: { orderId: 'o1', perkId: '3002', state: { awardedCents: 1000, refundedCents: 0 } },
      failure: null,
    })
  })

  it('fails a second award of the order: the transaction unchanged, no ledger to write', () => {
    const t = tx({})
    const step = applyOrderRule(on, t, { awardedCents: 1000, refundedCents: 0 })
    expect(step.tx).toBe(t)
    expect(step.ledger).toBeNull()
    expect(step.requestedQuantity).toBeNull()
    expect(step.failure).toMatchObject({ reason: 'order_already_awarded' })
    expect(step.failure?.message).toContain('o1')
  })

  it('lowers a refund to what is left of the order and keeps the quantity asked for', () => {
    const t = tx({ kind: 'refund', quantity: -8 })
    const step = applyOrderRule(on, t, { awardedCents: 1000, refundedCents: 500 })
    expect(step).toEqual({
      tx: { ...t, quantity: -5 },
      requestedQuantity: -8,
      ledger: { orderId: 'o1', perkId: '3002', state: { awardedCents: 1000, refundedCents: 1000 } },
      failure: null,
    })
    expect(t.quantity).toBe(-8)
  })

  it('fails a refund with nothing left to remove', () => {
    const step = applyOrderRule(on, tx({ kind: 'refund', quantity: -1 }), null)
    expect(step.failure).toMatchObject({ reason: 'refund_exceeds_order' })
    expect(step.ledger).toBeNull()
  })

  it('queues with no ledger share when the rules keep none', () => {
    const t = tx({ kind: 'refund', quantity: -50 })
    expect(applyOrderRule(off, t, null)).toEqual({
      tx: t,
      requestedQuantity: null,
      ledger: null,
      failure: null,
    })
  })

  it('never changes the ledger it was given, nor lets the rule keep hold of what it returns', () => {
    const held: LedgerState = { awardedCents: 0, refundedCents: 0 }
    const returned: LedgerState = { awardedCents: 1000, refundedCents: 0 }
    const rule: AcceptContext['orderRule'] = (_t, l) => {
      l.awardedCents = 99
      return { action: 'queue', quantity: 10, ledger: returned }
    }
    const step = applyOrderRule(rule, tx({}), held)
    expect(held).toEqual({ awardedCents: 0, refundedCents: 0 })
    returned.awardedCents = 7
    expect(step.ledger?.state).toEqual({ awardedCents: 1000, refundedCents: 0 })
  })
})

describe('the door', () => {
  const at = Date.parse('2026-11-23T10:00:00Z')
  it('drops events without userId/anonymousId as MISSING_IDENTITY', () => {
    const v = atTheDoor(settings, {
      source: 'tracking-api',
      receivedAt: at,
      payload: { type: 'track', event: 'Checked In', messageId: 'm', properties: { email: 'a@b.co' } },
    })
    expect(v).toMatchObject({
      kind: 'reject',
      code: 'MISSING_IDENTITY',
      messageId: 'm',
      eventName: 'Checked In',
    })
  })
  it('applies the rules: codes from src/core', () => {
    const drop = (payload: unknown) => atTheDoor(settings, { source: 'webhook', receivedAt: at, payload })
    expect(drop('nope')).toMatchObject({ kind: 'reject', code: 'INVALID_EVENT' })
    expect(drop({ type: 'page', userId: 'u' })).toMatchObject({
      kind: 'reject',
      code: 'UNSUPPORTED_EVENT_TYPE',
    })
    expect(drop({ type: 'identify', userId: 'u', traits: { name: 'x' } })).toMatchObject({
      kind: 'skip',
      code: 'NOT_AN_AUDIENCE',
    })
    expect(drop({ type: 'track', userId: 'u', event: 'Other' })).toMatchObject({
      code: 'EVENT_NOT_ALLOWLISTED',
    })
    expect(
      drop({
        type: 'track',
        userId: 'u',
        event: 'Order Completed',
        properties: { email: 'a@b.co', order_id: 1, revenue: 0 },
      }),
    ).toMatchObject({ kind: 'skip', code: 'ZERO_AMOUNT' })
  })
  it('queues a send with receivedAt set, timestamp defaulted, writeKey removed, hash id from the event as sent', () => {
    const payload = {
      type: 'track',
      userId: 'u',
      event: 'Checked In',
      properties: { email: 'A@B.co' },
      writeKey: 'wk',
    }
    const v = atTheDoor(settings, { source: 'tracking-api', receivedAt: at, payload })
    if (v.kind !== 'queue') throw new Error('expected a send')
    const stored = JSON.parse(v.event.payload)
    expect(stored.receivedAt).toBe('2026-11-23T10:00:00.000Z')
    expect(stored.timestamp).toBe('2026-11-23T10:00:00.000Z')
    expect(stored.writeKey).toBeUndefined()
    expect(v.event.tx.timestamp).toBe('2026-11-23T10:00:00.000Z')
    expect(v.event.customerKey).toBe('a@b.co')
    // Received later, same content: same id (the timestamp default does not leak into the hash).
    const later = atTheDoor(settings, { source: 'tracking-api', receivedAt: at + 60_000, payload })
    expect(later.kind === 'queue' && later.event.externalId).toBe(v.event.externalId)
  })
})

describe('drop log', () => {
  it('keeps a bounded ring of the newest samples; totals put skip codes apart from rejects', () => {
    const log = new DropLog(3)
    for (let i = 0; i < 5; i++) {
      log.record(i * 1000, {
        kind: 'reject',
        code: 'EVENT_NOT_ALLOWLISTED',
        message: `m${i}`,
        messageId: `id${i}`,
        eventName: 'x',
      })
    }
    expect(refusalTotals({ ZERO_AMOUNT: 5, EVENT_NOT_ALLOWLISTED: 5 })).toEqual({
      skipped: { ZERO_AMOUNT: 5 },
      rejected: { EVENT_NOT_ALLOWLISTED: 5 },
    })
    expect(log.samples().map((s) => s.messageId)).toEqual(['id4', 'id3', 'id2'])
  })
})

describe('stats ranges and redaction', () => {
  it('picks readable bucket sizes and validates ranges', () => {
    expect(defaultBucketMs(0, 3_600_000)).toBe(60_000)
    expect(defaultBucketMs(0, 86_400_000)).toBe(1_800_000)
    expect(() => validateStatsQuery({ from: 10, to: 5 })).toThrow(/after/)
    expect(validateStatsQuery({ from: 0, to: 1e12, bucketMs: 1 }).bucketMs).toBeGreaterThanOrEqual(1e8)
  })
  it('latency histogram: exact below a second, within 1 % above, nearest rank', () => {
    const h = new LatencyHistogram()
    expect(h.percentile(0.95)).toBeNull()
    for (let i = 1; i <= 100; i++) h.add(i)
    expect(h.percentile(0.5)).toBe(50)
    expect(h.percentile(0.95)).toBe(95)
    const slow = new LatencyHistogram()
    slow.add(123_456)
    expect(Math.abs(slow.percentile(0.5)! - 123_456) / 123_456).toBeLessThan(0.01)
  })
  it('scrubs secrets wherever they appear', () => {
    expect(scrub('Bearer abcdef and abcdef', ['abcdef'])).toBe('Bearer [redacted] and [redacted]')
  })
})
