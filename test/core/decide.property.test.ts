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
      audienceToPerkMap: AUDIENCE_MAP,
    }),
  )

const AUDIENCE_MAP = { order_completed_last_30days: 7, vip: 8, constructor: 9 }
const audienceKeys = [
  'order_completed_last_30days',
  'vip',
  'constructor',
  'big_spenders',
  '__proto__',
  'toString',
]

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

/** An object built as JSON.parse builds one: `__proto__` becomes an own key, never the prototype. */
const ownObject = (entries: Array<[string, unknown]>) => {
  const out: Record<string, unknown> = {}
  for (const [key, value] of entries)
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  return out
}
const membershipArb = fc.oneof(
  {
    weight: 9,
    arbitrary: fc
      .array(
        fc.tuple(
          fc.oneof(fc.constantFrom(...audienceKeys, 'email', 'name'), fc.string({ maxLength: 6 })),
          fc.oneof(fc.boolean(), fc.boolean(), emailArb, scalar),
        ),
        { maxLength: 4 },
      )
      .map(ownObject),
  },
  { weight: 1, arbitrary: scalar },
)
const personasArb = fc.oneof(
  fc.record(
    {
      computation_class: fc.oneof(
        fc.constantFrom('audience', 'journey_step', 'trait', '', 'Audience'),
        scalar,
      ),
      computation_key: fc.oneof(fc.constantFrom(...audienceKeys), scalar),
      computation_id: fc.string({ maxLength: 6 }),
    },
    { requiredKeys: [] },
  ),
  scalar,
)
const contextArb = fc.oneof(
  fc.record(
    {
      traits: fc.oneof(fc.record({ email: emailArb }, { requiredKeys: [] }), scalar),
      personas: personasArb,
    },
    { requiredKeys: [] },
  ),
  scalar,
)
/** What Engage itself sends: a membership of a known audience, its personas context and a real email. */
const engageArb = fc
  .record({
    type: fc.constantFrom('identify', 'track'),
    event: fc.constantFrom('Audience Entered', 'Audience Exited'),
    key: fc.constantFrom(...audienceKeys),
    computationClass: fc.constantFrom('audience', 'journey_step'),
    member: fc.boolean(),
    email: fc.emailAddress(),
    messageId: fc.uuid(),
  })
  .map(({ type, event, key, computationClass, member, email, messageId }) => ({
    type,
    ...(type === 'track' ? { event } : {}),
    messageId,
    [type === 'identify' ? 'traits' : 'properties']: ownObject([
      [key, member],
      ['email', email],
    ]),
    context: { personas: { computation_class: computationClass, computation_key: key } },
  }))

/** Identifies and Engage-shaped tracks: the events the audience rules decide (or nearly). */
const audienceEventArb = fc.oneof(
  engageArb,
  fc.record(
    {
      type: fc.constant('identify'),
      messageId: fc.oneof(fc.uuid(), scalar),
      email: emailArb,
      traits: membershipArb,
      properties: membershipArb,
      context: contextArb,
    },
    { requiredKeys: ['type'] },
  ),
  fc.record(
    {
      type: fc.constant('track'),
      event: fc.constantFrom('Audience Entered', 'Audience Exited', 'audience entered', 'Checked In'),
      messageId: fc.oneof(fc.uuid(), scalar),
      email: emailArb,
      properties: membershipArb,
      traits: membershipArb,
      context: contextArb,
    },
    { requiredKeys: ['type', 'event'] },
  ),
)

const trackArb = fc.oneof(
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

/** Tracks, identifies and Engage tracks mixed, about half of each. */
const eventArb = fc.oneof(trackArb, audienceEventArb)

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

describe('decide (properties, 10,000 events each)', () => {
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

describe('audiences (properties, 10,000 identify and track events mixed each)', () => {
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
      RUNS,
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
