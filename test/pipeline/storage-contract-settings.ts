import { expect, it } from 'vitest'
import { parseSettings } from '../../src/core/settings.js'
import { decideAgain } from '../../src/pipeline/decide-again.js'
import { atTheDoor } from '../../src/pipeline/door.js'
import { decideOrder } from '../../src/pipeline/order-rules.js'
import type {
  AcceptContext,
  ClaimedEvent,
  Completion,
  NewEvent,
  Storage,
} from '../../src/pipeline/storage/storage.js'
import { MAP, settingsFor, track } from './harness.js'

const v1 = settingsFor('token-for-storage-tests')
/** Version 2 moves to another location and maps Checked In and the orders to other perks. */
const v2 = parseSettings({
  apiKey: 'token-for-storage-tests',
  businessId: 1001,
  locationId: 2002,
  eventToPerkMap: { ...MAP, 'Checked In': 3003, 'Order Completed': 3004, 'Order Refunded': 3004 },
})
/** Version 3 no longer lists Checked In. */
const v3 = parseSettings({
  apiKey: 'token-for-storage-tests',
  businessId: 1001,
  locationId: 2002,
  eventToPerkMap: { 'Order Completed': 3002 },
})

const rules = { oneAwardPerOrder: true, capRefunds: true }
const ctx = (now: number): AcceptContext => ({
  now,
  dedupSince: now - 1_000,
  orderRule: (tx, ledger) => decideOrder(rules, tx, ledger),
})

function queued(email: string, name: string, props: Record<string, unknown> = {}, at = Date.now()): NewEvent {
  const v = atTheDoor(v1, { ...track(email, name, props), receivedAt: at })
  if (v.kind !== 'queue') throw new Error('expected a send')
  return { ...v.event, settingsVersion: 1 }
}

function complete(claim: ClaimedEvent, result: Completion['result']): Completion {
  return { id: claim.id, leaseId: claim.leaseId, attemptsMade: 1, log: [], result }
}

/**
 * Settings that change safely, as every store must support them: decisions kept per event, events
 * decided again under newer settings (ledger shares moving with them), parked events, the store's meta.
 */
export function settingsContract(make: () => Promise<Storage>): void {
  it('keeps each decision: at accept, and again under newer settings with the same external id', async () => {
    const storage = await make()
    const now = Date.now()
    const ev = queued('dec@x.co', 'Checked In', {}, now)
    await storage.accept([{ events: [ev] }], ctx(now))
    const [claim] = (await storage.claim(5, now, 60_000)).claims
    expect(claim).toMatchObject({ settingsVersion: 1, payload: ev.payload })
    expect(claim!.tx).toMatchObject({ locationId: '2001', perkId: '3001' })

    const verdict = decideAgain(v2, claim!.payload)
    const r = await storage.redecide(
      { id: claim!.id, leaseId: claim!.leaseId, at: now + 1, settingsVersion: 2, verdict },
      ctx(now + 1),
    )
    expect(r).toMatchObject({ kind: 'send', tx: { locationId: '2002', perkId: '3003' } })
    await storage.complete(
      [complete(claim!, { status: 'delivered', at: now + 2, transactionId: '7' })],
      now + 2,
    )
    const stored = await storage.getEvent(claim!.id)
    expect(stored).toMatchObject({ status: 'delivered', externalId: ev.externalId, perkId: '3003' })
    expect(stored!.decisions.map((d) => [d.settingsVersion, d.outcome, d.at])).toEqual([
      [1, 'queue', now],
      [2, 'queue', now + 1],
    ])
    expect(JSON.parse(stored!.decisions[0]!.transaction!)).toMatchObject({
      locationId: '2001',
      perkId: '3001',
    })
    expect(JSON.parse(stored!.decisions[1]!.transaction!)).toMatchObject({
      locationId: '2002',
      perkId: '3003',
    })

    // Under a lost lease nothing changes.
    const lost = await storage.redecide(
      { id: claim!.id, leaseId: claim!.leaseId, at: now + 3, settingsVersion: 3, verdict },
      ctx(now + 3),
    )
    expect(lost).toEqual({ kind: 'lost' })
    expect((await storage.getEvent(claim!.id))!.decisions).toHaveLength(2)
  })

  it('parks an event the new settings no longer award; parked events wait, survive pruning, and return on unpark', async () => {
    const storage = await make()
    const now = Date.now()
    await storage.accept(
      [
        {
          events: [
            queued('park@x.co', 'Checked In', {}, now - 10_000),
            queued('park@x.co', 'Referral Sent', {}, now - 10_000),
          ],
        },
      ],
      ctx(now),
    )
    const [head] = (await storage.claim(5, now, 60_000)).claims
    const verdict = decideAgain(v3, head!.payload)
    expect(verdict).toMatchObject({
      outcome: 'reject',
      code: 'EVENT_NOT_ALLOWLISTED',
      parkReason: 'not_awarded',
    })
    expect(
      await storage.redecide(
        { id: head!.id, leaseId: head!.leaseId, at: now, settingsVersion: 3, verdict },
        ctx(now),
      ),
    ).toEqual({ kind: 'parked' })
    const parked = await storage.getEvent(head!.id)
    expect(parked).toMatchObject({ status: 'parked', failureReason: 'not_awarded' })
    expect(parked!.lastError).toMatch(/no longer award/)
    expect(parked!.decisions.map((d) => [d.outcome, d.code])).toEqual([
      ['queue', null],
      ['reject', 'EVENT_NOT_ALLOWLISTED'],
    ])
    // The customer's next event is not held up by the parked one.
    const [next] = (await storage.claim(5, now, 60_000)).claims
    expect(next!.id).not.toBe(head!.id)
    await storage.complete([complete(next!, { status: 'delivered', at: now, transactionId: null })], now)
    expect((await storage.claim(5, now, 60_000)).claims).toEqual([])
    expect(await storage.waiting()).toMatchObject({ parked: 1, retrying: 0 })
    expect(await storage.queueDepth()).toBe(0)
    // Retention takes the delivered one, never the parked one.
    expect(await storage.prune(now, 0)).toEqual({ events: 1, refusals: 0 })
    expect((await storage.getEvent(head!.id))?.status).toBe('parked')

    // It keeps the version its stored transaction was decided under, so any newer one decides it again.
    expect(await storage.unpark(now + 1, 1)).toBe(0)
    expect(await storage.unpark(now + 1, 2)).toBe(1)
    expect(await storage.waiting()).toMatchObject({ parked: 0 })
    const [back] = (await storage.claim(5, now + 1, 60_000)).claims
    expect(back).toMatchObject({ id: head!.id, settingsVersion: 1 })
  })

  it('a parked completion keeps the event for a settings change; other customers go on', async () => {
    const storage = await make()
    const now = Date.now()
    await storage.accept(
      [{ events: [queued('p1@x.co', 'Checked In'), queued('p2@x.co', 'Checked In')] }],
      ctx(now),
    )
    const claims = (await storage.claim(5, now, 60_000)).claims
    const [a, b] = claims
    const error = 'Perkville does not know location 2001 of business 1001: correct locationId'
    await storage.complete(
      [
        complete(a!, { status: 'parked', at: now, reason: 'unknown_location', error }),
        complete(b!, { status: 'parked', at: now, reason: 'unknown_location', error }),
      ],
      now,
    )
    expect(await storage.getEvent(a!.id)).toMatchObject({
      status: 'parked',
      failureReason: 'unknown_location',
      lastError: error,
      attempts: 1,
    })
    expect(await storage.claim(5, now + 60_000, 60_000)).toEqual({ claims: [], nextDue: null })
    expect(await storage.waiting()).toEqual({ retrying: 0, parked: 2, lastError: error })
    // An operator's retry takes one back; a release (or a settings change) the rest.
    expect(await storage.retry(a!.id, now + 1)).toBe(true)
    expect(await storage.unpark(now + 1, 2)).toBe(1)
    expect((await storage.claim(5, now + 1, 60_000)).claims.map((c) => c.id).sort()).toEqual(
      [a!.id, b!.id].sort(),
    )
  })

  it('moves an order share with a decision that changes the perk; an order rule may fail it then', async () => {
    const storage = await make()
    const now = Date.now()
    const award = queued('led@x.co', 'Order Completed', { order_id: 'M-1', revenue: 10 }, now)
    await storage.accept([{ events: [award] }], ctx(now))
    const [claim] = (await storage.claim(5, now, 60_000)).claims
    const r = await storage.redecide(
      {
        id: claim!.id,
        leaseId: claim!.leaseId,
        at: now,
        settingsVersion: 2,
        verdict: decideAgain(v2, claim!.payload),
      },
      ctx(now),
    )
    expect(r).toMatchObject({ kind: 'send', tx: { perkId: '3004', quantity: 10 } })
    // Perk 3002 of the order was given back; perk 3004 now holds the award.
    const again = (name: string, perk: Record<string, number>, id: string) => {
      const s = parseSettings({ apiKey: 'k', businessId: 1001, locationId: 2001, eventToPerkMap: perk })
      const v = atTheDoor(s, {
        ...track('led2@x.co', name, { order_id: 'M-1', revenue: 10 }, { messageId: id }),
        receivedAt: now,
      })
      if (v.kind !== 'queue') throw new Error('expected a send')
      return v.event
    }
    expect(
      await storage.accept(
        [
          {
            events: [
              again('Order Completed', { 'Order Completed': 3002 }, 'x1'),
              again('Order Completed', { 'Order Completed': 3004 }, 'x2'),
            ],
          },
        ],
        ctx(now),
      ),
    ).toEqual([['queued', { orderRule: 'order_already_awarded' }]])
    // Its own second decision under 3002 now meets the award accepted above: the order rule fails it.
    await storage.complete(
      [
        complete(claim!, {
          status: 'retrying',
          nextAttemptAt: now,
          unknown: false,
          error: 'HTTP 503',
          firstFailedAt: now,
        }),
      ],
      now,
    )
    const [retry] = (await storage.claim(5, now, 60_000)).claims.filter((c) => c.id === claim!.id)
    const back = await storage.redecide(
      {
        id: retry!.id,
        leaseId: retry!.leaseId,
        at: now,
        settingsVersion: 3,
        verdict: decideAgain(v3, retry!.payload),
      },
      ctx(now),
    )
    expect(back).toEqual({ kind: 'failed', reason: 'order_already_awarded' })
    const failed = await storage.getEvent(claim!.id)
    expect(failed).toMatchObject({ status: 'failed', failureReason: 'order_already_awarded' })
    expect(failed!.decisions.map((d) => d.outcome)).toEqual(['queue', 'queue', 'fail'])
  })

  it('keeps its own facts (the destination of its queue)', async () => {
    const storage = await make()
    expect(await storage.getMeta('destination')).toBeNull()
    await storage.setMeta('destination', '{"a":1}')
    await storage.setMeta('destination', '{"a":2}')
    expect(await storage.getMeta('destination')).toBe('{"a":2}')
  })
}
