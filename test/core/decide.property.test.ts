import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decide, type Outcome, parseSettings, REJECT_CODES, type Settings } from '../../src/core/index.js'

const RUNS = { numRuns: 10_000 }

// Real tokens are long random strings; a one-letter key could not be kept out of any sentence.
const apiKeyArb = fc.string({ minLength: 8, maxLength: 40 }).filter((s) => s.trim() !== '')
const names = ['Order Completed', 'Order Refunded', 'Checked In', 'order refunded', 'Referral Sent']
const hostileNames = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '']

const settingsArb = (apiKey: fc.Arbitrary<string>) =>
  fc.record({ apiKey, sendEmail: fc.boolean() }).map(({ apiKey, sendEmail }) =>
    parseSettings({
      apiKey,
      businessId: 1001,
      locationId: 2001,
      sendEmail,
      eventToPerkMap: { 'Order Completed': 1, 'Order Refunded': 1, 'Checked In': 2, 'order refunded': 3 },
    }),
  )

const scalar = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double({ noNaN: false }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
)
const emailArb = fc.oneof(
  fc.emailAddress(),
  fc.constantFrom('bad', 'a@b', ' ana@example.com ', '', '   ', 'a @b.co', 'x@y.co'),
  scalar,
)
const amountArb = fc.oneof(
  fc.double({ min: -2e9, max: 2e9, noNaN: true }),
  fc.integer({ min: -1000, max: 1000 }),
  fc.stringMatching(/^\s?[+-]?\d{1,11}(\.\d{1,4})?\s?$/),
  fc.constantFrom('abc', '', '1e3', '-0', '0.004', '0.005', 1e9, 1e9 + 0.01, Number.POSITIVE_INFINITY),
  scalar,
)
const orderIdArb = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.constantFrom('', ' ', null), scalar)

const propertiesArb = fc.oneof(
  fc.record(
    {
      email: emailArb,
      order_id: orderIdArb,
      orderId: orderIdArb,
      revenue: amountArb,
      value: amountArb,
      total: amountArb,
      extra: fc.anything({ maxDepth: 2 }),
    },
    { requiredKeys: [] },
  ),
  fc.anything({ maxDepth: 1 }),
)

const eventArb = fc.oneof(
  {
    weight: 9,
    arbitrary: fc.record(
      {
        type: fc.oneof(
          fc.constant('track'),
          fc.constant('track'),
          fc.constantFrom('identify', 'page', 'Track'),
          scalar,
        ),
        event: fc.oneof(
          fc.constantFrom(...names),
          fc.constantFrom(...hostileNames),
          fc.string({ maxLength: 10 }),
          scalar,
        ),
        messageId: fc.oneof(fc.uuid(), scalar),
        timestamp: fc.oneof(fc.constant('2026-11-23T10:00:00Z'), scalar),
        email: emailArb,
        properties: propertiesArb,
        context: fc.oneof(
          fc.record(
            { traits: fc.oneof(fc.record({ email: emailArb }, { requiredKeys: [] }), scalar) },
            { requiredKeys: [] },
          ),
          scalar,
        ),
      },
      { requiredKeys: ['type', 'event'] },
    ),
  },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 3, withNullPrototype: true, withObjectString: true }) },
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
    expect(['event', 'spend', 'refund']).toContain(t.kind)
    expect(t.perkId).toMatch(/^\d+$/)
    expect(t.orderId === null || typeof t.orderId === 'string').toBe(true)
    expect(Math.abs(t.quantity)).toBeLessThanOrEqual(1e9)
    expect(Math.round(t.quantity * 100) / 100).toBe(t.quantity)
  } else if (outcome.status === 'skip') {
    expect(outcome.reason.code).toBe('ZERO_AMOUNT')
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

describe('decide (properties, 10,000 events each)', () => {
  const fixed: Settings = parseSettings({
    apiKey: 'property-key',
    businessId: 1,
    locationId: 2,
    eventToPerkMap: { 'Order Completed': 1, 'Order Refunded': 1, 'Checked In': 2 },
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
        if (out.status === 'send') {
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
        if (out.status !== 'send') return
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
