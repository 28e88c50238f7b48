import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decide,
  type Outcome,
  parseSettings,
  REJECT_CODES,
  type Settings,
  SKIP_CODES,
  transactionExternalId,
} from '../../src/core/index.js'
import { AUDIENCE_MAP, audienceEventArb, eventArb, ownObject } from '../fixtures/event-arbitraries.js'
import { RUNS } from '../fixtures/property-runs.js'

// Real tokens are long random strings; a one-letter key could not be kept out of any sentence.
// Settings refuse a key no bearer header can carry, so the keys are drawn from the b64token alphabet.
const apiKeyArb = fc.stringMatching(/^[A-Za-z0-9\-._~+/]{8,40}$/)
const settingsArb = (apiKey: fc.Arbitrary<string>) =>
  fc.record({ apiKey, sendEmail: fc.boolean() }).map(({ apiKey, sendEmail }) =>
    parseSettings({
      apiKey,
      businessId: 1001,
      locationId: 2001,
      sendEmail,
      eventToPerkMap: { 'Order Completed': 1, 'Order Refunded': 1, 'Checked In': 2, 'order refunded': 3 },
      audienceToPerkMap: AUDIENCE_MAP,
    }),
  )

function wellFormed(outcome: Outcome): void {
  expect(Object.keys(outcome).sort()).toEqual(
    outcome.status === 'send'
      ? ['status', 'transaction']
      : outcome.status === 'skip'
        ? ['reason', 'status']
        : ['error', 'status'],
  )
  if (outcome.status === 'send') {
    const t = outcome.transaction
    expect(typeof t.email).toBe('string')
    expect(Number.isFinite(t.quantity)).toBe(true)
    expect(t.quantity).not.toBe(0)
    expect(['event', 'spend', 'refund', 'audience']).toContain(t.kind)
    expect(t.audienceKey === undefined).toBe(t.kind !== 'audience')
    expect(t.perkId).toMatch(/^\d+$/)
    expect(t.orderId === null || typeof t.orderId === 'string').toBe(true)
    expect(Math.abs(t.quantity)).toBeLessThanOrEqual(1e9)
    expect(Math.round(t.quantity * 100) / 100).toBe(t.quantity)
  } else if (outcome.status === 'skip') {
    expect(SKIP_CODES).toContain(outcome.reason.code)
    expect(outcome.reason.message.length).toBeGreaterThan(0)
  } else {
    expect(REJECT_CODES).toContain(outcome.error.code)
    expect(outcome.error.code).not.toBe('INVALID_JSON')
    expect(outcome.error.message.length).toBeGreaterThan(0)
  }
}

/** The same object with every object's keys in a different order. */
function reorder(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v, i) => reorder(v, seed + i))
  if (typeof value !== 'object' || value === null) return value
  const entries = Object.entries(value)
  const rotated =
    entries.length > 0
      ? [...entries.slice(seed % entries.length), ...entries.slice(0, seed % entries.length)]
      : []
  const out: Record<string, unknown> = Object.getPrototypeOf(value) === null ? Object.create(null) : {}
  for (const [k, v] of rotated.reverse()) {
    Object.defineProperty(out, k, {
      value: reorder(v, seed + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }
  return out
}

function hasOrderId(event: unknown): boolean {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return false
  const props = Object.hasOwn(event, 'properties') ? (event as { properties: unknown }).properties : undefined
  if (typeof props !== 'object' || props === null || Array.isArray(props)) return false
  const present = (v: unknown) =>
    (typeof v === 'string' && v.trim() !== '') || (typeof v === 'number' && Number.isFinite(v))
  const own = (k: string) => (Object.hasOwn(props, k) ? (props as Record<string, unknown>)[k] : undefined)
  return present(own('order_id')) || present(own('orderId'))
}

describe(`decide (properties, ${RUNS.numRuns.toLocaleString('en')} events each)`, () => {
  const fixed: Settings = parseSettings({
    apiKey: 'property-key',
    businessId: 1,
    locationId: 2,
    eventToPerkMap: { 'Order Completed': 1, 'Order Refunded': 1, 'Checked In': 2 },
    audienceToPerkMap: AUDIENCE_MAP,
  })

  it('never throws and always returns exactly one well-formed outcome', () => {
    fc.assert(
      fc.property(settingsArb(apiKeyArb), eventArb, (settings, event) => {
        wellFormed(decide(settings, event))
      }),
      RUNS,
    )
  })

  it('gives quantity 1 to every event without an order id', () => {
    fc.assert(
      fc.property(eventArb, (event) => {
        const out = decide(fixed, event)
        if (out.status === 'send' && out.transaction.kind !== 'audience') {
          expect(out.transaction.kind === 'event').toBe(!hasOrderId(event))
          if (!hasOrderId(event)) expect(out.transaction.quantity).toBe(1)
        }
      }),
      RUNS,
    )
  })

  it('gives refunds a negative quantity and spends a positive one', () => {
    fc.assert(
      fc.property(eventArb, (event) => {
        const out = decide(fixed, event)
        if (out.status !== 'send' || out.transaction.kind === 'audience') return
        if (out.transaction.kind === 'refund') expect(out.transaction.quantity).toBeLessThan(0)
        else expect(out.transaction.quantity).toBeGreaterThan(0)
        if (out.transaction.kind !== 'event') {
          expect(out.transaction.kind === 'refund').toBe(
            /refund/i.test(String((event as { event: unknown }).event)),
          )
        }
      }),
      RUNS,
    )
  })

  it('does not depend on key order', () => {
    fc.assert(
      fc.property(eventArb, fc.nat(50), (event, seed) => {
        expect(decide(fixed, reorder(event, seed))).toEqual(decide(fixed, event))
      }),
      RUNS,
    )
  })

  it('never puts the API key in a message, even when events carry it', () => {
    const keyed = apiKeyArb.chain((key) =>
      fc.tuple(
        fc.constant(key),
        fc.record({
          type: fc.constantFrom('track', key, 'identify'),
          event: fc.constantFrom(key, `${key} x`, 'Order Completed', 'Order Refunded'),
          email: fc.constantFrom(key, `${key}@x.co`, 'a@b.co', undefined),
          properties: fc.record(
            { order_id: fc.constantFrom('o', key), revenue: fc.constantFrom(key, `-${key}`, 5, -5, '0') },
            { requiredKeys: [] },
          ),
        }),
      ),
    )
    fc.assert(
      fc.property(keyed, ([key, event]) => {
        const settings = parseSettings({
          apiKey: key,
          businessId: 1,
          locationId: 1,
          eventToPerkMap: { 'Order Completed': 1, 'Order Refunded': 1 },
        })
        const out = decide(settings, event)
        const message =
          out.status === 'reject' ? out.error.message : out.status === 'skip' ? out.reason.message : ''
        expect(message.includes(key)).toBe(false)
      }),
      RUNS,
    )
  })
})

describe(`audiences (properties, ${RUNS.numRuns.toLocaleString('en')} identify and track events mixed each)`, () => {
  const fixed: Settings = parseSettings({
    apiKey: 'property-key',
    businessId: 1,
    locationId: 2,
    eventToPerkMap: { 'Checked In': 2, 'Audience Entered': 3 },
    audienceToPerkMap: AUDIENCE_MAP,
  })
  const valuesKey = (event: Record<string, unknown>) => (event.type === 'identify' ? 'traits' : 'properties')
  /** A copy of the event with the decided audience's membership value replaced (JSON-style own keys). */
  const withMembership = (event: Record<string, unknown>, key: string, value: unknown) => {
    const where = valuesKey(event)
    const values = ownObject([...Object.entries(event[where] as object), [key, value]])
    return { ...event, [where]: values }
  }

  it('an audience send always has quantity 1, kind audience, no order id and a mapped key', () => {
    const seen = new Map<string, number>()
    fc.assert(
      fc.property(eventArb, (event) => {
        const out = decide(fixed, event)
        const label =
          out.status === 'send'
            ? out.transaction.kind
            : out.status === 'skip'
              ? out.reason.code
              : out.error.code
        seen.set(label, (seen.get(label) ?? 0) + 1)
        if (out.status !== 'send') return
        const tx = out.transaction
        if ((event as { type?: unknown }).type === 'identify') expect(tx.kind).toBe('audience')
        if (tx.kind !== 'audience') return
        expect(tx.quantity).toBe(1)
        expect(tx.orderId).toBeNull()
        expect(Object.hasOwn(fixed.audienceToPerkMap, tx.audienceKey!)).toBe(true)
        expect(tx.perkId).toBe(fixed.audienceToPerkMap[tx.audienceKey!])
      }),
      // At least 10,000 draws, for the count of each outcome below to be sure.
      { numRuns: Math.max(RUNS.numRuns, 10_000) },
    )
    // The generator reaches every audience outcome, so the properties above are not vacuous.
    for (const label of [
      'audience',
      'NOT_AN_AUDIENCE',
      'AUDIENCE_EXITED',
      'AUDIENCE_NOT_MAPPED',
      'AMBIGUOUS_AUDIENCE',
      'INVALID_AUDIENCE_VALUE',
    ]) {
      expect(seen.get(label) ?? 0, label).toBeGreaterThan(25)
    }
  })

  it('AUDIENCE_EXITED never sends: the same event with its audience value false is skipped', () => {
    fc.assert(
      fc.property(audienceEventArb, (event) => {
        const out = decide(fixed, event)
        if (out.status === 'skip' && out.reason.code === 'AUDIENCE_EXITED') return
        if (out.status !== 'send' || out.transaction.kind !== 'audience') return
        const exited = decide(fixed, withMembership(event, out.transaction.audienceKey!, false))
        expect(exited.status).toBe('skip')
        expect(exited.status === 'skip' && exited.reason.code).toBe('AUDIENCE_EXITED')
      }),
      RUNS,
    )
  })

  it('the audience external id depends only on the key and the lower-cased email', () => {
    const expected = (key: string, email: string) =>
      `aud-${createHash('sha256').update(`${key}\n${email.toLowerCase()}`, 'utf8').digest('hex').slice(0, 32)}`
    fc.assert(
      fc.property(audienceEventArb, fc.uuid(), fc.boolean(), (event, otherId, upper) => {
        const out = decide(fixed, event)
        if (out.status !== 'send' || out.transaction.kind !== 'audience') return
        const { audienceKey, email } = out.transaction
        const id = transactionExternalId(event, out.transaction)
        expect(id).toBe(expected(audienceKey!, email))
        // Another sync of the same membership: a new messageId and timestamp, the email in another case.
        const changed =
          (event as Record<string, unknown>).email === undefined
            ? event
            : { ...event, email: upper ? email.toUpperCase() : email.toLowerCase() }
        const resent = {
          ...changed,
          messageId: otherId,
          timestamp: '2027-01-01T00:00:00Z',
          anonymousId: otherId,
        }
        const again = decide(fixed, resent)
        expect(again.status).toBe('send')
        if (again.status === 'send') expect(transactionExternalId(resent, again.transaction)).toBe(id)
      }),
      RUNS,
    )
  })
})
