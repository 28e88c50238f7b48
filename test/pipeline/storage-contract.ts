import { expect, it } from 'vitest'
import { externalIdFor } from '../../src/core/external-id.js'
import { atTheDoor } from '../../src/pipeline/door.js'
import { toRecord } from '../../src/pipeline/event-records.js'
import type { ParkingReason } from '../../src/pipeline/failure-reasons.js'
import { decideOrder } from '../../src/pipeline/order-rules.js'
import { perkvillePoints } from '../../src/pipeline/perkville-points.js'
import { QueueDepth } from '../../src/pipeline/queue-depth.js'
import type {
  AcceptContext,
  ClaimedEvent,
  Completion,
  NewEvent,
  NewRefusal,
  Storage,
  StoredEvent,
} from '../../src/pipeline/storage/storage.js'
import { claimAndFinish, settingsFor, track } from './harness.js'
import { alertsContract } from './storage-contract-alerts.js'
import { settingsContract } from './storage-contract-settings.js'

/**
 * What every Storage must do, whatever database is behind it: run it against each implementation
 * (SQLite here; PostgreSQL when it lands). `make` returns a fresh, empty store the caller closes.
 */
export function storageContract(make: () => Promise<Storage>): void {
  it('claims at most one event per customer, the oldest, and nothing more until it completes', async () => {
    const storage = await make()
    const now = Date.now()
    const a1 = newEvent('a@x.co')
    const a2 = newEvent('A@x.co')
    const b1 = newEvent('b@x.co')
    await storage.accept([{ events: [a1, a2, b1] }], ctx(now))
    const first = (await storage.claim(10, now, 60_000)).claims
    expect(first.map((c) => c.externalId).sort()).toEqual([a1.externalId, b1.externalId].sort())
    expect((await storage.claim(10, now, 60_000)).claims).toEqual([])
    const a = first.find((c) => c.externalId === a1.externalId)!
    await storage.complete(
      [
        {
          id: a.id,
          leaseId: a.leaseId,
          attemptsMade: 1,
          log: [],
          result: { status: 'delivered', at: now, transactionId: '1' },
        },
      ],
      now,
    )
    const next = (await storage.claim(10, now, 60_000)).claims
    expect(next.map((c) => c.externalId)).toEqual([a2.externalId])
    // A completion under a lost lease is ignored.
    await storage.complete(
      [
        {
          id: a.id,
          leaseId: a.leaseId + 999,
          attemptsMade: 1,
          log: [],
          result: { status: 'failed', at: now, reason: 'permanent', error: 'x' },
        },
      ],
      now,
    )
    expect((await storage.getEvent(a.id))?.status).toBe('delivered')
  })

  it('a cannot_settle park keeps the outcome unknown through a release; an operator retry clears it', async () => {
    const storage = await make()
    const now = Date.now()
    await storage.accept([{ events: [newEvent('settle@x.co'), newEvent('other@x.co')] }], ctx(now))
    const park = async (reason: ParkingReason, unknown: boolean) => {
      const claimed = (await storage.claim(10, now, 60_000)).claims
      await storage.complete(
        claimed.map((c) => ({
          id: c.id,
          leaseId: c.leaseId,
          attemptsMade: 0,
          log: [],
          result: { status: 'parked' as const, at: now, reason, error: 'x', unknown },
        })),
        now,
      )
      return claimed
    }
    const [a, b] = await park('cannot_settle', true)
    expect(await storage.unpark(now, Number.MAX_SAFE_INTEGER)).toBe(2)
    const again = (await storage.claim(10, now, 60_000)).claims
    expect(again.map((c) => c.unknown)).toEqual([true, true])
    await storage.complete(
      again.map((c) => ({
        id: c.id,
        leaseId: c.leaseId,
        attemptsMade: 0,
        log: [],
        result: {
          status: 'parked' as const,
          at: now,
          reason: c.id === a!.id ? 'cannot_settle' : 'unknown_perk',
          error: 'x',
          unknown: true,
        },
      })),
      now,
    )
    expect(await storage.retry(a!.id, now)).toBe(true)
    expect(await storage.retry(b!.id, now)).toBe(true)
    const retried = (await storage.claim(10, now, 60_000)).claims
    expect(retried.map((c) => [c.id, c.unknown]).sort()).toEqual(
      [
        [a!.id, false],
        [b!.id, true],
      ].sort(),
    )
    await storage.close()
  })

  it('in one completion call, only the live lease counts, and only once', async () => {
    const storage = await make()
    const now = Date.now()
    const a1 = newEvent('lease-a@x.co')
    const b1 = newEvent('lease-b@x.co')
    await storage.accept([{ events: [a1, b1] }], ctx(now))
    const claimed = (await storage.claim(10, now, 60_000)).claims
    const a = claimed.find((c) => c.externalId === a1.externalId)!
    const b = claimed.find((c) => c.externalId === b1.externalId)!
    const done = (c: ClaimedEvent, leaseId: number, transactionId: string): Completion => ({
      id: c.id,
      leaseId,
      attemptsMade: 1,
      log: [],
      result: { status: 'delivered', at: now, transactionId },
    })
    const r = await storage.complete(
      [
        done(a, a.leaseId + 999, 'stale'),
        done(a, a.leaseId, 'live'),
        done(a, a.leaseId, 'again'),
        done(b, b.leaseId, 'b'),
      ],
      now,
    )
    expect(r.applied).toEqual([false, true, false, true])
    expect(await storage.getEvent(a.id)).toMatchObject({ status: 'delivered', transactionId: 'live' })
    expect(await storage.getEvent(b.id)).toMatchObject({ status: 'delivered', transactionId: 'b' })
    // Applied once: one attempt counted, and the lanes are free for what comes next.
    expect((await storage.getEvent(a.id))?.attempts).toBe(1)
    await storage.close()
  })

  it('keeps at most 8 KB of a Perkville answer (its full size noted) and 500 characters of an error', async () => {
    // Issue 22 item 2: a 503 with a 4 MB body was stored twice per attempt, 142 MB in one event.
    const storage = await make()
    const now = Date.now()
    const e = newEvent('huge-answer@x.co')
    await storage.accept([{ events: [e] }], ctx(now))
    const [c] = (await storage.claim(1, now, 60_000)).claims
    const body = `${'<p>down</p>'.repeat(381_300)}"\u0000é`
    const huge = 'z'.repeat(1_000_000)
    const response = JSON.stringify({ status: 503, headers: { 'content-length': '4194304' }, body })
    await storage.complete(
      [
        {
          id: c!.id,
          leaseId: c!.leaseId,
          attemptsMade: 1,
          log: [{ at: now, durationMs: 5, outcome: 'temporary', request: '{}', response, error: huge }],
          result: {
            status: 'retrying',
            nextAttemptAt: now + 1000,
            unknown: true,
            error: huge,
            firstFailedAt: now,
          },
        },
      ],
      now,
    )
    const stored = await storage.getEvent(c!.id)
    expect(stored?.lastError?.length).toBeLessThanOrEqual(500)
    expect(stored?.lastError).toMatch(/^z+… \[cut: 1000000 characters\]$/)
    const [attempt] = stored!.attemptLog
    expect(attempt!.error).toBe(stored!.lastError)
    expect(Buffer.byteLength(attempt!.response!, 'utf8')).toBeLessThanOrEqual(8 * 1024)
    expect(JSON.parse(attempt!.response!)).toEqual({
      status: 503,
      headers: { 'content-length': '4194304' },
      body: { truncated: true, bytes: 4194304, head: expect.stringMatching(/^(<p>down<\/p>)+/) },
    })
    await storage.close()
  })

  it("keeps the bodies of attempts that did not get through; one that did keeps no request and of the answer only the transaction's id and points", async () => {
    const storage = await make()
    const now = Date.now()
    await storage.accept([{ events: [newEvent('bodies@x.co')] }], ctx(now))
    const c = (await storage.claim(1, now, 60_000)).claims[0]
    const request = JSON.stringify({ method: 'POST', body: { quantity: 1 } })
    const answer = (status: number) =>
      JSON.stringify({ status, headers: { server: 'x' }, body: { id: 77, points: 12, email: 'bodies@x.co' } })
    await storage.complete(
      [
        {
          id: c!.id,
          leaseId: c!.leaseId,
          attemptsMade: 2,
          log: [
            {
              at: now,
              durationMs: 5,
              outcome: 'temporary',
              request,
              response: answer(503),
              error: 'HTTP 503',
            },
            { at: now + 1, durationMs: 7, outcome: 'delivered', request, response: answer(201), error: null },
          ],
          result: { status: 'delivered', at: now + 1, transactionId: '77' },
        },
      ],
      now + 1,
    )
    const stored = (await storage.getEvent(c!.id))!
    expect(stored.attemptLog).toEqual([
      { at: now, durationMs: 5, outcome: 'temporary', request, response: answer(503), error: 'HTTP 503' },
      {
        at: now + 1,
        durationMs: 7,
        outcome: 'delivered',
        request: null,
        response: JSON.stringify({ status: 201, body: { id: 77, points: 12 } }),
        error: null,
      },
    ])
    expect(perkvillePoints(stored)).toBe(12)
    const shown = toRecord(stored).attemptLog[1]!
    expect(shown.request).toMatchObject({
      method: 'POST',
      body: { email: 'bodies@x.co', quantity: c!.tx.quantity, trans_source_id: c!.externalId },
      rebuilt: expect.stringMatching(/^from the event/),
    })
    expect(toRecord(stored).attemptLog[0]!.request).toEqual({ method: 'POST', body: { quantity: 1 } })
    await storage.close()
  })

  it('queue depth agrees with the store when a replay is counted after its events finished', async () => {
    // Issue 22 item 5: workers delivered replayed events before the replay added them to the depth;
    // the decrements were clamped at 0 and lost, so phantom events stayed until a restart.
    const storage = await make()
    const now = Date.now()
    await storage.accept([{ events: [newEvent('depth-a@x.co'), newEvent('depth-b@x.co')] }], ctx(now))
    const depth = await QueueDepth.load(storage)
    expect(depth.value).toBe(2)
    const finish = async (status: 'failed' | 'delivered') => {
      const n = await claimAndFinish(storage, now, status)
      depth.remove(n)
      return n
    }
    expect(await finish('failed')).toBe(2)
    const replayed = await storage.replayFailed(
      { from: now - 60_000, to: now + 60_000, reasons: null, excludeReasons: [] },
      now,
    )
    expect(replayed).toBe(2)
    // Delivered before the replay's own count arrives.
    expect(await finish('delivered')).toBe(2)
    expect(depth.value).toBe(0)
    depth.add(replayed)
    expect(depth.value).toBe(await storage.queueDepth())
    expect(depth.value).toBe(0)
    await storage.close()
  })

  it('claims live events before a replay that fell due earlier', async () => {
    // Issue 22 item 7: a replay of 100,000 events delayed new events by 49 s (p50).
    const storage = await make()
    const now = Date.now()
    const replayed = ['bulk-a@x.co', 'bulk-b@x.co', 'bulk-c@x.co']
    await storage.accept([{ events: replayed.map((e) => newEvent(e, now)) }], ctx(now))
    expect(await claimAndFinish(storage, now, 'failed')).toBe(3)
    const range = { from: now - 60_000, to: now + 60_000, reasons: null, excludeReasons: [] }
    expect(await storage.replayFailed(range, now + 1)).toBe(3)
    const live = newEvent('live@x.co', now + 2)
    await storage.accept([{ events: [live] }], ctx(now + 2))
    const [first] = (await storage.claim(1, now + 3, 60_000)).claims
    expect(first?.externalId).toBe(live.externalId)
    expect((await storage.claim(10, now + 3, 60_000)).claims.map((c) => c.tx.email).sort()).toEqual(replayed)
    // An import's events likewise wait for live ones received after them.
    const imported = { ...newEvent('imported@x.co', now + 4), bulk: true }
    const later = newEvent('live-later@x.co', now + 5)
    await storage.accept([{ events: [imported] }], ctx(now + 4))
    await storage.accept([{ events: [later] }], ctx(now + 5))
    expect((await storage.claim(1, now + 6, 60_000)).claims[0]?.externalId).toBe(later.externalId)
    expect((await storage.claim(1, now + 6, 60_000)).claims[0]?.externalId).toBe(imported.externalId)
    await storage.close()
  })

  it('a retrying head holds its customer until due; an expired lease comes back as unknown', async () => {
    const storage = await make()
    const now = Date.now()
    await storage.accept([{ events: [newEvent('c@x.co'), newEvent('c@x.co')] }], ctx(now))
    const [head] = (await storage.claim(5, now, 1_000)).claims
    await storage.complete(
      [
        {
          id: head!.id,
          leaseId: head!.leaseId,
          attemptsMade: 1,
          log: [],
          result: {
            status: 'retrying',
            nextAttemptAt: now + 5_000,
            unknown: false,
            error: 'HTTP 429',
            firstFailedAt: now,
          },
        },
      ],
      now,
    )
    expect(await storage.claim(5, now + 4_999, 1_000)).toEqual({ claims: [], nextDue: now + 5_000 })
    const [again] = (await storage.claim(5, now + 5_000, 1_000)).claims
    expect(again).toMatchObject({ id: head!.id, attempts: 1, unknown: false })
    // The worker vanishes; once the lease expires the head is claimable again, its fate unknown.
    expect((await storage.claim(5, now + 5_999, 1_000)).claims).toEqual([])
    const [reclaimed] = (await storage.claim(5, now + 6_000, 1_000)).claims
    expect(reclaimed).toMatchObject({ id: head!.id, unknown: true })
    expect(reclaimed!.leaseId).not.toBe(again!.leaseId)
  })

  it('an operator retry never puts a second event of a customer in flight', async () => {
    const storage = await make()
    const now = Date.now()
    await storage.accept([{ events: [newEvent('r@x.co'), newEvent('r@x.co')] }], ctx(now))
    const [e1] = (await storage.claim(5, now, 60_000)).claims
    const fail = { status: 'failed' as const, at: now, reason: 'permanent' as const, error: 'HTTP 404' }
    await storage.complete(
      [{ id: e1!.id, leaseId: e1!.leaseId, attemptsMade: 1, log: [], result: fail }],
      now,
    )
    const [e2] = (await storage.claim(5, now, 60_000)).claims
    expect(e2!.id).not.toBe(e1!.id)
    expect(await storage.retry(e1!.id, now)).toBe(true)
    expect((await storage.claim(5, now, 60_000)).claims).toEqual([])
    const done = { status: 'delivered' as const, at: now, transactionId: null }
    await storage.complete(
      [{ id: e2!.id, leaseId: e2!.leaseId, attemptsMade: 1, log: [], result: done }],
      now,
    )
    const [again] = (await storage.claim(5, now, 60_000)).claims
    expect(again!.id).toBe(e1!.id)
  })

  it('recoverAbandoned makes abandoned in-flight rows claimable, marked unknown', async () => {
    const storage = await make()
    const now = Date.now()
    await storage.accept([{ events: [newEvent('d@x.co'), newEvent('e@x.co')] }], ctx(now))
    expect((await storage.claim(5, now, 600_000)).claims).toHaveLength(2)
    // After the leases expired, every store must hand them back (a shared one only expired ones).
    expect(await storage.recoverAbandoned(now + 600_001)).toBe(2)
    const claims = (await storage.claim(5, now + 600_001, 600_000)).claims
    expect(claims.map((c) => c.unknown)).toEqual([true, true])
  })

  it('dedups by external id within the window only', async () => {
    const storage = await make()
    const now = Date.now()
    const ev = newEvent('dd@x.co', now)
    expect(await storage.accept([{ events: [ev, ev] }], ctx(now))).toEqual([['queued', 'duplicate']])
    const later = now + 5_000
    expect(await storage.accept([{ events: [{ ...ev, receivedAt: later }] }], ctx(later))).toEqual([
      ['queued'],
    ])
  })

  it('applies the order rule inside accept and keeps its ledger', async () => {
    const storage = await make()
    const now = Date.now()
    const order = (name: string, props: Record<string, unknown>) => {
      const v = atTheDoor(settings, {
        ...track('ord@x.co', name, { order_id: 'L-1', ...props }),
        receivedAt: now,
      })
      if (v.kind !== 'queue') throw new Error('expected a send')
      return v.event
    }
    const outcomes = await storage.accept(
      [
        {
          events: [
            order('Order Completed', { revenue: 10 }),
            order('Order Completed', { revenue: 10 }),
            order('Order Refunded', { total: 25 }),
            order('Order Refunded', { total: 1 }),
          ],
          refusals: [newRefusal('z@x.co', 'skip', now), newRefusal('z@x.co', 'skip', now - 60_000)],
        },
      ],
      ctx(now),
    )
    expect(outcomes).toEqual([
      ['queued', { orderRule: 'order_already_awarded' }, 'queued', { orderRule: 'refund_exceeds_order' }],
    ])
    const events = await eventsOfOrder(storage, 'L-1')
    expect(events.map((e) => [e.status, e.quantity, e.failureReason])).toEqual([
      ['failed', -1, 'refund_exceeds_order'],
      ['pending', -10, null],
      ['failed', 10, 'order_already_awarded'],
      ['pending', 10, null],
    ])
    // A queued event's decision is read from its row; one an order rule failed keeps its own.
    const [refundFailed, , awardFailed, awarded] = events
    expect((await storage.getEvent(awarded!.id))!.decisions).toEqual([
      {
        at: now,
        settingsVersion: 0,
        outcome: 'queue',
        code: null,
        message: null,
        transaction: expect.any(String),
      },
    ])
    expect(JSON.parse((await storage.getEvent(awarded!.id))!.decisions[0]!.transaction!)).toMatchObject({
      orderId: 'L-1',
      quantity: 10,
    })
    for (const failed of [awardFailed!, refundFailed!]) {
      expect((await storage.getEvent(failed.id))!.decisions.map((d) => [d.outcome, d.code])).toEqual([
        ['fail', failed.failureReason],
      ])
    }
    // Drops are counted from the refusals kept: in total, and within a range.
    expect(await storage.dropTotals()).toEqual({ ZERO_AMOUNT: 2 })
    expect(await storage.refusalCounts(now - 60_000, now)).toEqual([
      { kind: 'skip', code: 'ZERO_AMOUNT', count: 1 },
    ])
    expect(await storage.refusalCounts(now + 1, now + 60_000)).toEqual([])
  })

  it('releases a failed award: its queued refunds fail newest first, the order may be awarded again', async () => {
    const storage = await make()
    const now = Date.now()
    const order = orderEvents('cas@x.co', 'C-1', now)
    await storage.accept(
      [
        {
          events: [
            order('Order Completed', { revenue: 10 }),
            order('Order Refunded', { total: 4 }),
            order('Order Refunded', { total: 3 }),
          ],
        },
      ],
      ctx(now),
    )
    const [award] = (await storage.claim(5, now, 60_000)).claims
    expect(await storage.complete([failed(award!, now)], now)).toEqual({
      applied: [true],
      cascadedFailures: 2,
    })
    expect(await storage.queueDepth()).toBe(0)
    expect(await storage.claim(5, now, 60_000)).toEqual({ claims: [], nextDue: null })
    const cancelled = 'the award of order C-1 failed, so this refund has nothing to remove'
    const events = await eventsOfOrder(storage, 'C-1')
    expect(events.map((e) => [e.kind, e.quantity, e.status, e.failureReason, e.lastError])).toEqual([
      ['refund', -3, 'failed', 'refund_exceeds_order', cancelled],
      ['refund', -4, 'failed', 'refund_exceeds_order', cancelled],
      ['spend', 10, 'failed', 'permanent', 'HTTP 422'],
    ])
    // Nothing of the order is reserved any more: a new award of it is queued, not held back.
    expect(await storage.accept([{ events: [order('Order Completed', { revenue: 10 })] }], ctx(now))).toEqual(
      [['queued']],
    )
  })

  it('cancels only the refunds the failed award covered, newest first', async () => {
    const storage = await make()
    const now = Date.now()
    // Two customers refund one order: the other customer's refund is delivered before the award fails.
    const mine = orderEvents('own@x.co', 'P-1', now)
    const theirs = orderEvents('other@x.co', 'P-1', now)
    await storage.accept(
      [
        {
          events: [
            mine('Order Completed', { revenue: 10 }),
            theirs('Order Refunded', { total: 2 }),
            mine('Order Refunded', { total: 3 }),
          ],
        },
      ],
      ctx(now),
    )
    const heads = (await storage.claim(5, now, 60_000)).claims
    const award = heads.find((c) => c.tx.kind === 'spend')!
    const early = heads.find((c) => c.tx.kind === 'refund')!
    await storage.complete([delivered(early, now)], now)
    expect(await storage.complete([failed(award, now)], now)).toEqual({
      applied: [true],
      cascadedFailures: 1,
    })
    const events = await eventsOfOrder(storage, 'P-1')
    expect(events.map((e) => [e.kind, e.quantity, e.status])).toEqual([
      ['refund', -3, 'failed'],
      ['refund', -2, 'delivered'],
      ['spend', 10, 'failed'],
    ])
  })

  it('an operator retry of a released award or refund reserves its share of the order again', async () => {
    const storage = await make()
    const now = Date.now()
    const order = orderEvents('ret@x.co', 'R-1', now)
    await storage.accept(
      [
        {
          events: [order('Order Completed', { revenue: 10 }), order('Order Refunded', { total: 4 })],
        },
      ],
      ctx(now),
    )
    const [award] = (await storage.claim(5, now, 60_000)).claims
    await storage.complete([failed(award!, now)], now)
    const [, refund] = (await eventsOfOrder(storage, 'R-1')).reverse()
    expect(refund!.status).toBe('failed')
    expect(await storage.retry(award!.id, now)).toBe(true)
    // The award holds the order again: another award of it is held back...
    expect(await storage.accept([{ events: [order('Order Completed', { revenue: 10 })] }], ctx(now))).toEqual(
      [[{ orderRule: 'order_already_awarded' }]],
    )
    expect(await storage.retry(refund!.id, now)).toBe(true)
    // ...and the retried refund's 4 is reserved too, so a refund of 10 is clamped to the 6 left.
    expect(await storage.accept([{ events: [order('Order Refunded', { total: 10 })] }], ctx(now))).toEqual([
      ['queued'],
    ])
    const events = await eventsOfOrder(storage, 'R-1')
    expect(events.map((e) => [e.kind, e.quantity, e.status, e.failureReason])).toEqual([
      ['refund', -6, 'pending', null],
      ['spend', 10, 'failed', 'order_already_awarded'],
      ['refund', -4, 'retrying', null],
      ['spend', 10, 'retrying', null],
    ])
    // A retry of an event that is not failed changes nothing.
    expect(await storage.retry(award!.id, now)).toBe(false)
  })

  it('gives an event with U+0000 in its text the id every form computes, and delivers it once', async () => {
    const storage = await make()
    const now = Date.now()
    const incoming = {
      ...track(
        'nul@x.co',
        'Order Completed',
        { order_id: 'N\u0000-1', revenue: 5 },
        { messageId: 'm\u0000id' },
      ),
      receivedAt: now,
    }
    // What the Actions destination and the Function send for the raw event.
    const everyForm = externalIdFor(incoming.payload)
    expect(everyForm).toBe('m\uFFFDid')
    const door = atTheDoor(settings, incoming)
    if (door.kind !== 'queue') throw new Error('expected a send')
    expect(door.event.externalId).toBe(everyForm)
    const fine = newEvent('ok@x.co', now)
    expect(await storage.accept([{ events: [door.event] }, { events: [fine] }], ctx(now))).toEqual([
      ['queued'],
      ['queued'],
    ])
    const claims = (await storage.claim(5, now, 60_000)).claims
    const odd = claims.find((c) => c.externalId === everyForm)!
    expect(odd.tx.orderId).toBe('N\uFFFD-1')
    await storage.complete([delivered(odd, now)], now)
    // The same event again (a resend) is a duplicate, however it is sent.
    const again = atTheDoor(settings, { ...incoming, receivedAt: now + 1 })
    if (again.kind !== 'queue') throw new Error('expected a send')
    expect(await storage.accept([{ events: [again.event] }], ctx(now + 1))).toEqual([['duplicate']])
    const stored = await storage.getEvent(odd.id)
    expect([stored?.status, stored?.externalId, stored?.messageId]).toEqual([
      'delivered',
      everyForm,
      'm\uFFFDid',
    ])
  })

  it('finishes a skipped event (Perkville’s DAILY_LIMIT_REACHED) like a failure that is no error: lane and order share freed, counted and found as skipped, pruned, never retried', async () => {
    const storage = await make()
    const now = Date.now()
    const order = orderEvents('day@x.co', 'D-1', now - 10_000)
    await storage.accept(
      [{ events: [order('Order Completed', { revenue: 10 }), order('Order Refunded', { total: 4 })] }],
      ctx(now),
    )
    const [award] = (await storage.claim(5, now, 60_000)).claims
    expect(await storage.complete([skipped(award!, now)], now)).toEqual({
      applied: [true],
      cascadedFailures: 1,
    })
    const stored = await storage.getEvent(award!.id)
    expect(stored).toMatchObject({
      status: 'skipped',
      failureReason: 'DAILY_LIMIT_REACHED',
      lastError: 'HTTP 400: once per calendar day',
      attempts: 1,
      unknown: false,
      nextAttemptAt: null,
    })
    expect(await storage.queueDepth()).toBe(0)
    expect(await storage.claim(5, now, 60_000)).toEqual({ claims: [], nextDue: null })
    expect(await storage.retry(award!.id, now)).toBe(false)
    // Nothing was awarded, so the refund of it has nothing to remove and the order may be awarded again.
    const events = await eventsOfOrder(storage, 'D-1')
    expect(events.map((e) => [e.kind, e.status, e.failureReason])).toEqual([
      ['refund', 'failed', 'refund_exceeds_order'],
      ['spend', 'skipped', 'DAILY_LIMIT_REACHED'],
    ])
    const range = [now - 20_000, now + 1] as const
    const counts = Object.fromEntries((await storage.statusCounts(...range)).map((c) => [c.status, c.count]))
    expect(counts).toEqual({ skipped: 1, failed: 1 })
    expect((await storage.failureCounts(...range)).sort((a, b) => a.status.localeCompare(b.status))).toEqual([
      { status: 'failed', reason: 'refund_exceeds_order', count: 1 },
      { status: 'skipped', reason: 'DAILY_LIMIT_REACHED', count: 1 },
    ])
    const found = await storage.search({ status: 'skipped', limit: 10 })
    expect(found.map((h) => h.event?.id)).toEqual([award!.id])
    expect(await storage.search({ status: 'skipped', code: 'DAILY_LIMIT_REACHED', limit: 10 })).toHaveLength(
      1,
    )
    expect(await storage.prune(now - 5_000, 0)).toEqual({ events: 2, refusals: 0 })
    expect(await storage.getEvent(award!.id)).toBeNull()
  })

  it('prunes only finished events received before the cut-off', async () => {
    const storage = await make()
    const now = Date.now()
    await storage.accept(
      [{ events: [newEvent('p1@x.co', now - 10_000), newEvent('p2@x.co', now - 10_000)] }],
      ctx(now),
    )
    const [done] = (await storage.claim(1, now, 60_000)).claims
    await storage.complete(
      [
        {
          id: done!.id,
          leaseId: done!.leaseId,
          attemptsMade: 1,
          log: [],
          result: { status: 'delivered', at: now, transactionId: null },
        },
      ],
      now,
    )
    expect(await storage.prune(now - 5_000, 0)).toEqual({ events: 1, refusals: 0 })
    expect(await storage.getEvent(done!.id)).toBeNull()
    expect(await storage.queueDepth()).toBe(1)
  })

  it('binds a signed first messageId to one body: a resend passes, another body does not, old bindings go', async () => {
    const storage = await make()
    const now = Date.now()
    expect(await storage.bindSignedBody('m-1', 'digest-a', now, 0)).toBe(true)
    expect(await storage.bindSignedBody('m-1', 'digest-a', now + 1, 0)).toBe(true)
    expect(await storage.bindSignedBody('m-1', 'digest-b', now + 2, 0)).toBe(false)
    expect(await storage.bindSignedBody('m-2', 'digest-b', now + 3, 0)).toBe(true)
    // A healthy store takes a probe write (used while writes fail, to see them work again).
    expect(await storage.probeWrite()).toBe(true)
    // Forgotten once older than the horizon: the id may then be bound afresh.
    expect(await storage.bindSignedBody('m-1', 'digest-b', now + 10, now + 5)).toBe(true)
  })

  it('keeps refused events beside accepted ones: one search by email, order id or messageId, paged', async () => {
    const storage = await make()
    const now = Date.now()
    const accepted = newEvent('Search@x.co', now - 3_000)
    const skip = newRefusal('search@x.co', 'skip', now - 2_000, { orderId: 'ORD-S' })
    const reject = newRefusal('SEARCH@x.co', 'reject', now - 1_000, { messageId: 'm-reject' })
    const other = newRefusal('other@x.co', 'reject', now - 1_000)
    await storage.accept([{ events: [accepted], refusals: [skip, reject, other] }], ctx(now))
    const all = await storage.search({ q: 'search@X.co', limit: 10 })
    // Newest first, each from its table.
    expect(
      all.map((h) => (h.event ? `event:${h.event.messageId}` : `${h.refusal.kind}:${h.refusal.code}`)),
    ).toEqual(['reject:EVENT_NOT_ALLOWLISTED', 'skip:ZERO_AMOUNT', `event:${accepted.messageId}`])
    const refused = all[0]!.refusal!
    expect(refused).toMatchObject({
      id: expect.stringMatching(/^r\d+$/),
      email: 'SEARCH@x.co',
      messageId: 'm-reject',
      eventName: 'Not Mapped',
      writeKeySource: 'write key 2',
      message: 'not in the map',
    })
    expect(JSON.parse(refused.payload)).toMatchObject({ event: 'Not Mapped' })
    expect(await storage.getRefusal(refused.id)).toEqual(refused)
    expect(await storage.getRefusal('r0')).toBeNull()
    expect(all[2]!.event).toMatchObject({ eventName: 'Checked In', writeKeySource: null })
    expect((await storage.search({ q: 'ORD-S', limit: 10 })).map((h) => h.refusal?.code)).toEqual([
      'ZERO_AMOUNT',
    ])
    expect((await storage.search({ q: 'm-reject', limit: 10 })).map((h) => h.refusal?.code)).toEqual([
      'EVENT_NOT_ALLOWLISTED',
    ])
    expect(
      (await storage.search({ q: accepted.messageId!, limit: 10 })).map((h) => h.event?.id),
    ).toHaveLength(1)
    // Filters: status of a refusal, code, kind (accepted only).
    expect((await storage.search({ status: 'skipped', limit: 10 })).map((h) => h.refusal?.code)).toEqual([
      'ZERO_AMOUNT',
    ])
    expect((await storage.search({ code: 'EVENT_NOT_ALLOWLISTED', limit: 10 })).length).toBe(2)
    expect((await storage.search({ kind: 'event', limit: 10 })).map((h) => h.event?.id)).toHaveLength(1)
    expect(await storage.search({ status: 'pending', code: 'ZERO_AMOUNT', limit: 10 })).toEqual([])
    // Keyset pages: after the first two (same receive time broken by table, then row), the rest.
    const first = await storage.search({ limit: 2 })
    const last = first[1]!
    const after = last.event
      ? { receivedAt: last.event.receivedAt, table: 1 as const, seq: Number(last.event.id) }
      : { receivedAt: last.refusal!.receivedAt, table: 0 as const, seq: Number(last.refusal!.id.slice(1)) }
    const rest = await storage.search({ limit: 10, after })
    const ids = [...first, ...rest].map((h) => h.event?.id ?? h.refusal!.id)
    expect(new Set(ids).size).toBe(4)
    expect(ids).toHaveLength(4)
  })

  it('finds accepted and refused events by their userId or anonymousId, exactly, an email or not', async () => {
    const storage = await make()
    const now = Date.now()
    const door = (email: string, name: string, ids: Record<string, unknown>, at: number) =>
      atTheDoor(settings, { ...track(email, name, {}, { userId: undefined, ...ids }), receivedAt: at })
    const both = door('ids@x.co', 'Checked In', { userId: ' u-42 ', anonymousId: 'anon-7' }, now - 3_000)
    const anonymous = door('ids@x.co', 'Checked In', { anonymousId: 'anon-7' }, now - 2_000)
    // No email anywhere: only the sender's id ties this refusal to its customer.
    const refused = door('', 'Not Mapped', { userId: 42 }, now - 1_000)
    if (both.kind !== 'queue' || anonymous.kind !== 'queue' || refused.kind === 'queue')
      throw new Error('expected two sends and a refusal')
    await storage.accept(
      [
        {
          events: [both.event, anonymous.event],
          refusals: [{ ...refused, receivedAt: now - 1_000, source: 'tracking-api', writeKeySource: null }],
        },
      ],
      ctx(now),
    )
    const [claim] = (await storage.claim(1, now, 60_000)).claims
    await storage.complete([delivered(claim!, now)], now)
    const found = async (q: string) =>
      (await storage.search({ q, limit: 10 })).map((h) => (h.event ? h.event.receivedAt : h.refusal.kind))
    expect(await found('u-42')).toEqual([now - 3_000])
    expect(await found('anon-7')).toEqual([now - 2_000, now - 3_000])
    expect(await found('42')).toEqual([refused.kind])
    // Exact: no other case, no part of an id.
    expect(await found('U-42')).toEqual([])
    expect(await found('anon')).toEqual([])
    // Narrowed like any search: by status (the delivered one), and paged.
    expect((await storage.search({ q: 'anon-7', status: 'delivered', limit: 10 })).length).toBe(1)
    const [newest] = await storage.search({ q: 'anon-7', limit: 1 })
    const after = { receivedAt: newest!.event!.receivedAt, table: 1 as const, seq: Number(newest!.event!.id) }
    expect((await storage.search({ q: 'anon-7', limit: 10, after })).map((h) => h.event?.receivedAt)).toEqual(
      [now - 3_000],
    )
    const [hit] = await storage.search({ q: 'u-42', limit: 1 })
    expect(hit!.event).toMatchObject({ userId: 'u-42', anonymousId: 'anon-7' })
    expect(await storage.getEvent(hit!.event!.id)).toMatchObject({ userId: 'u-42', anonymousId: 'anon-7' })
    const [refusalHit] = await storage.search({ q: '42', limit: 1 })
    expect(refusalHit!.refusal).toMatchObject({ email: null, userId: '42', anonymousId: null })
  })

  it('counts a range by status, by refusal code and by failure reason, with latencies and the oldest waiting', async () => {
    const storage = await make()
    const now = Date.now()
    await storage.accept(
      [
        {
          events: [
            newEvent('k1@x.co', now - 5_000),
            newEvent('k2@x.co', now - 5_000),
            newEvent('k3@x.co', now - 4_000),
          ],
          refusals: [
            newRefusal('k4@x.co', 'skip', now - 4_000),
            newRefusal('k5@x.co', 'reject', now - 3_000),
          ],
        },
      ],
      ctx(now),
    )
    const claims = (await storage.claim(3, now, 60_000)).claims
    const byEmail = (e: string) => claims.find((c) => c.tx.email === e)!
    await storage.complete([delivered(byEmail('k1@x.co'), now), failed(byEmail('k2@x.co'), now)], now)
    const range = [now - 10_000, now] as const
    const statuses = await storage.statusCounts(...range)
    expect(Object.fromEntries(statuses.map((s) => [s.status, [s.count, s.firstTry, s.sent]]))).toEqual({
      delivered: [1, 1, 1],
      failed: [1, 1, 1],
      in_flight: [1, 0, 0],
    })
    expect(
      (await storage.refusalCounts(...range)).map((r) => `${r.kind}:${r.code}:${r.count}`).sort(),
    ).toEqual(['reject:EVENT_NOT_ALLOWLISTED:1', 'skip:ZERO_AMOUNT:1'])
    expect(await storage.failureCounts(...range)).toEqual([
      { status: 'failed', reason: 'permanent', count: 1 },
    ])
    expect(await storage.latencySample(...range, 10)).toEqual([5_000])
    expect(await storage.oldestWaiting()).toBe(now - 4_000)
    expect(await storage.statusCounts(now, now + 1_000)).toEqual([])
    expect(await storage.refusalCounts(now - 3_000, now)).toEqual([
      { kind: 'reject', code: 'EVENT_NOT_ALLOWLISTED', count: 1 },
    ])
  })

  it('prunes refusals received before the cut-off', async () => {
    const storage = await make()
    const now = Date.now()
    await storage.accept(
      [
        {
          events: [],
          refusals: [newRefusal('o@x.co', 'skip', now - 10_000), newRefusal('o@x.co', 'skip', now)],
        },
      ],
      ctx(now),
    )
    expect(await storage.prune(now - 5_000, 0)).toEqual({ events: 0, refusals: 1 })
    expect((await storage.search({ q: 'o@x.co', limit: 10 })).map((h) => h.refusal?.receivedAt)).toEqual([
      now,
    ])
  })

  it('keeps settings versions in order, numbered, newest first', async () => {
    const storage = await make()
    expect(await storage.settingsVersions(10)).toEqual([])
    const first = { at: 1_000, source: 'file' as const, settings: '{"a":1}', changes: '["first version"]' }
    const second = { at: 2_000, source: 'api' as const, settings: '{"a":2}', changes: '["a 1 → 2"]' }
    const v1 = await storage.appendSettingsVersion(first)
    const v2 = await storage.appendSettingsVersion(second)
    expect(v2).toBeGreaterThan(v1)
    expect(await storage.settingsVersions(10)).toEqual([
      { version: v2, ...second },
      { version: v1, ...first },
    ])
    expect(await storage.settingsVersions(1)).toEqual([{ version: v2, ...second }])
  })

  settingsContract(make)
  alertsContract(make)
}

const settings = settingsFor('token-for-storage-tests')

/** A sending event as the door hands it to storage. */
/** An order's accepted events, newest first, as the console's search reads them. */
export async function eventsOfOrder(
  storage: Pick<Storage, 'search'>,
  orderId: string,
): Promise<StoredEvent[]> {
  return (await storage.search({ orderId, limit: 10 })).flatMap((h) => (h.event ? [h.event] : []))
}

export function newEvent(email: string, receivedAt = Date.now()): NewEvent {
  const v = atTheDoor(settings, { ...track(email, 'Checked In'), receivedAt })
  if (v.kind !== 'queue') throw new Error('expected a send')
  return v.event
}

/** A refused event as intake hands it to storage. */
export function newRefusal(
  email: string,
  kind: 'skip' | 'reject',
  receivedAt: number,
  extra: Partial<NewRefusal> = {},
): NewRefusal {
  const eventName = kind === 'skip' ? 'Order Completed' : 'Not Mapped'
  return {
    receivedAt,
    kind,
    code: kind === 'skip' ? 'ZERO_AMOUNT' : 'EVENT_NOT_ALLOWLISTED',
    message: kind === 'skip' ? 'the amount is 0' : 'not in the map',
    email,
    orderId: null,
    messageId: null,
    eventName,
    audienceKey: null,
    source: 'tracking-api',
    writeKeySource: 'write key 2',
    payload: JSON.stringify({ type: 'track', event: eventName, properties: { email } }),
    ...extra,
  }
}

/** Events of one order as the door hands them to storage. */
function orderEvents(email: string, orderId: string, receivedAt: number) {
  return (name: string, props: Record<string, unknown>): NewEvent => {
    const v = atTheDoor(settings, { ...track(email, name, { order_id: orderId, ...props }), receivedAt })
    if (v.kind !== 'queue') throw new Error('expected a send')
    return v.event
  }
}

function failed(claim: ClaimedEvent, at: number): Completion {
  const result = { status: 'failed' as const, at, reason: 'permanent' as const, error: 'HTTP 422' }
  return { id: claim.id, leaseId: claim.leaseId, attemptsMade: 1, log: [], result }
}

function skipped(claim: ClaimedEvent, at: number): Completion {
  const error = 'HTTP 400: once per calendar day'
  const result = { status: 'skipped' as const, at, reason: 'DAILY_LIMIT_REACHED', error }
  return { id: claim.id, leaseId: claim.leaseId, attemptsMade: 1, log: [], result }
}

function delivered(claim: ClaimedEvent, at: number): Completion {
  const result = { status: 'delivered' as const, at, transactionId: null }
  return { id: claim.id, leaseId: claim.leaseId, attemptsMade: 1, log: [], result }
}

export const ctx = (now: number): AcceptContext => ({
  now,
  dedupSince: now - 1_000,
  orderRule: (tx, ledger) => decideOrder({ oneAwardPerOrder: true, capRefunds: true }, tx, ledger),
})
