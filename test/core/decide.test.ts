import { describe, expect, it } from 'vitest'
import { decide, type Outcome, parseSettings } from '../../src/core/index.js'

const settings = parseSettings({
  apiKey: 'k-123',
  businessId: 1001,
  locationId: 2001,
  sendEmail: true,
  eventToPerkMap: {
    'Order Completed': 3002,
    'Order Refunded': 3002,
    'Checked In': 3001,
    'refund policy read': 3003,
  },
})

const track = (event: string, extra: Record<string, unknown> = {}) => ({
  type: 'track',
  event,
  messageId: 'm-1',
  timestamp: '2026-11-23T10:00:00Z',
  ...extra,
})
const order = (
  props: Record<string, unknown>,
  event = 'Order Completed',
  extra: Record<string, unknown> = {},
) => track(event, { properties: { email: 'ana@example.com', order_id: 'o-1', ...props }, ...extra })

function code(outcome: Outcome): string {
  if (outcome.status === 'send') return 'SEND'
  return outcome.status === 'skip' ? outcome.reason.code : outcome.error.code
}
function quantity(outcome: Outcome): number {
  if (outcome.status !== 'send') throw new Error(`expected send, got ${JSON.stringify(outcome)}`)
  return outcome.transaction.quantity
}

describe('step 1: the input must be a JSON object', () => {
  it.each([null, 1, 'x', true, [], [track('Checked In')]])('%j → INVALID_EVENT', (input) => {
    expect(code(decide(settings, input))).toBe('INVALID_EVENT')
  })
})

describe('step 2: type must be "track" or "identify"', () => {
  it.each([undefined, 'Track', 'Identify', 'page', 5, null])('type %j → UNSUPPORTED_EVENT_TYPE', (type) => {
    expect(code(decide(settings, { ...track('Checked In', { email: 'a@b.co' }), type }))).toBe(
      'UNSUPPORTED_EVENT_TYPE',
    )
  })
  it('is checked before the event name', () => {
    expect(code(decide(settings, { type: 'page' }))).toBe('UNSUPPORTED_EVENT_TYPE')
  })
})

describe('step 3: the event name must be a non-empty string', () => {
  it.each([undefined, '', 5, null, {}])('event %j → INVALID_EVENT with where', (event) => {
    const out = decide(settings, { type: 'track', event })
    expect(code(out)).toBe('INVALID_EVENT')
    expect(out.status === 'reject' && out.error.message).toContain('event')
  })
})

describe('step 4: the allowlist is the map, matched exactly', () => {
  it.each(['order completed', 'Order  Completed', ' Order Completed', 'Order Completed ', 'Product Viewed'])(
    '%j → EVENT_NOT_ALLOWLISTED',
    (name) => {
      expect(code(decide(settings, track(name, { email: 'a@b.co' })))).toBe('EVENT_NOT_ALLOWLISTED')
    },
  )
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])(
    'inherited name %j is not in the map',
    (name) => {
      expect(code(decide(settings, track(name, { email: 'a@b.co' })))).toBe('EVENT_NOT_ALLOWLISTED')
    },
  )
  it('is checked before the email', () => {
    expect(code(decide(settings, track('Nope')))).toBe('EVENT_NOT_ALLOWLISTED')
  })
})

describe('step 5: email', () => {
  it('takes event.email first, then properties.email, then context.traits.email', () => {
    const all = track('Checked In', {
      email: 'top@x.co',
      properties: { email: 'prop@x.co' },
      context: { traits: { email: 'trait@x.co' } },
    })
    const email = (e: unknown) => {
      const out = decide(settings, e)
      return out.status === 'send' ? out.transaction.email : code(out)
    }
    expect(email(all)).toBe('top@x.co')
    expect(email({ ...all, email: undefined })).toBe('prop@x.co')
    expect(email({ ...all, email: '  ', properties: { email: 42 } })).toBe('trait@x.co')
    expect(email(track('Checked In', { context: { traits: { email: ' t@x.co ' } } }))).toBe('t@x.co')
  })
  it('missing everywhere → MISSING_EMAIL', () => {
    expect(code(decide(settings, track('Checked In')))).toBe('MISSING_EMAIL')
    expect(code(decide(settings, track('Checked In', { email: '', properties: { email: '   ' } })))).toBe(
      'MISSING_EMAIL',
    )
    expect(code(decide(settings, track('Checked In', { email: 7, properties: { email: null } })))).toBe(
      'MISSING_EMAIL',
    )
  })
  it.each([
    'no-at',
    'a@b',
    '@b.co',
    'a@@b.co',
    'a@b@c.co',
    'a b@c.co',
    'a@.co',
    'a@b.',
    'a@b..co',
    `${'x'.repeat(250)}@b.co`,
  ])('%j → INVALID_EMAIL naming where', (email) => {
    const out = decide(settings, track('Checked In', { properties: { email } }))
    expect(code(out)).toBe('INVALID_EMAIL')
    expect(out.status === 'reject' && out.error.message).toContain('properties.email')
  })
  it('accepts 254 characters and a plus-address', () => {
    const long = `${'x'.repeat(248)}@b.com`
    expect(long.length).toBe(254)
    expect(code(decide(settings, track('Checked In', { email: long })))).toBe('SEND')
    expect(code(decide(settings, track('Checked In', { email: 'a+tag@sub.b.co' })))).toBe('SEND')
  })
  it('a later valid candidate does not rescue an invalid earlier one', () => {
    const out = decide(settings, track('Checked In', { email: 'bad', properties: { email: 'good@x.co' } }))
    expect(code(out)).toBe('INVALID_EMAIL')
  })
  it('non-object properties, context and traits count as absent', () => {
    for (const [properties, context] of [
      ['str', 'str'],
      [[{ email: 'a@b.co' }], [1]],
      [null, { traits: 'x' }],
      [5, { traits: [{ email: 'a@b.co' }] }],
    ]) {
      expect(code(decide(settings, track('Checked In', { properties, context })))).toBe('MISSING_EMAIL')
    }
  })
})

describe('steps 6–7: order id', () => {
  it('no order id → quantity 1, kind event, whatever the name or amounts', () => {
    for (const name of ['Checked In', 'Order Refunded', 'Order Completed']) {
      const out = decide(settings, track(name, { email: 'a@b.co', properties: { revenue: 99 } }))
      expect(out).toMatchObject({
        status: 'send',
        transaction: { quantity: 1, kind: 'event', orderId: null },
      })
    }
  })
  it('order_id wins over orderId; orderId counts when order_id is absent', () => {
    const pick = (props: Record<string, unknown>) => {
      const out = decide(settings, order({ order_id: undefined, revenue: 5, ...props }))
      return out.status === 'send' ? out.transaction.orderId : code(out)
    }
    expect(pick({ order_id: 'a', orderId: 'b' })).toBe('a')
    expect(pick({ orderId: 'b' })).toBe('b')
    expect(pick({ order_id: '', orderId: 'b' })).toBe('b')
    expect(pick({ order_id: null, orderId: 'b' })).toBe('b')
    expect(pick({ order_id: 12345 })).toBe('12345')
    expect(pick({ orderId: 0 })).toBe('0')
    expect(pick({ order_id: {}, orderId: 'b' })).toBe('b')
  })
  it('an order id that is not a non-empty string or finite number is absent', () => {
    for (const id of ['', '   ', true, {}, [], null]) {
      const out = decide(settings, order({ order_id: id, revenue: 10 }))
      expect(out).toMatchObject({ status: 'send', transaction: { kind: 'event', quantity: 1 } })
    }
  })
})

describe('step 8: spend and refund amounts', () => {
  it('takes revenue, then value, then total — even when an earlier one is 0', () => {
    expect(quantity(decide(settings, order({ revenue: 3, value: 4, total: 5 })))).toBe(3)
    expect(quantity(decide(settings, order({ value: 4, total: 5 })))).toBe(4)
    expect(quantity(decide(settings, order({ revenue: null, value: '', total: 5 })))).toBe(5)
    expect(code(decide(settings, order({ revenue: 0, value: 8 })))).toBe('ZERO_AMOUNT')
  })
  it('no amount → MISSING_AMOUNT', () => {
    expect(code(decide(settings, order({})))).toBe('MISSING_AMOUNT')
    expect(code(decide(settings, order({ revenue: null, value: '', total: undefined })))).toBe(
      'MISSING_AMOUNT',
    )
  })
  it.each([['abc'], ['1,5'], ['1.'], ['.5'], ['1e3'], ['++1'], ['0x10'], [' '], [true], [{}], [[5]]])(
    'amount %j → INVALID_AMOUNT naming the property',
    (revenue) => {
      const out = decide(settings, order({ revenue }))
      expect(code(out)).toBe('INVALID_AMOUNT')
      expect(out.status === 'reject' && out.error.message).toContain('properties.revenue')
    },
  )
  it.each([
    [' 12.50 ', 12.5],
    ['+7', 7],
    ['007.10', 7.1],
    [1e9, 1e9],
    ['1000000000.004', 1e9],
    [0.005, 0.01],
    [1.005, 1.01],
    [2.675, 2.68],
    ['0.004', 'ZERO_AMOUNT'],
    [0.0049, 'ZERO_AMOUNT'],
    [1e-7, 'ZERO_AMOUNT'],
    ['0', 'ZERO_AMOUNT'],
    ['-0', 'ZERO_AMOUNT'],
    [-0, 'ZERO_AMOUNT'],
    [1e9 + 0.01, 'INVALID_AMOUNT'],
    ['1000000000.005', 'INVALID_AMOUNT'],
    [1e21, 'INVALID_AMOUNT'],
    ['99999999999999999999999999', 'INVALID_AMOUNT'],
    [-5, 'INVALID_AMOUNT'],
    ['-0.001', 'INVALID_AMOUNT'],
    [' -3 ', 'INVALID_AMOUNT'],
  ])('spend amount %j → %s', (revenue, want) => {
    const out = decide(settings, order({ revenue }))
    if (typeof want === 'number') {
      expect(out).toMatchObject({ status: 'send', transaction: { kind: 'spend', quantity: want } })
    } else {
      expect(code(out)).toBe(want)
    }
  })
  it.each([
    ['Order Refunded', 20, -20],
    ['Order Refunded', -20, -20],
    ['Order Refunded', ' -12.345 ', -12.35],
    ['Order Refunded', '-12.344', -12.34],
    ['refund policy read', 4, -4],
  ])('refund %s with %j → quantity %d', (event, total, want) => {
    expect(decide(settings, order({ total }, event))).toMatchObject({
      status: 'send',
      transaction: { kind: 'refund', quantity: want },
    })
  })
  it('a refund is checked against the same limits', () => {
    expect(code(decide(settings, order({ revenue: -2e9 }, 'Order Refunded')))).toBe('INVALID_AMOUNT')
    expect(code(decide(settings, order({ revenue: 0 }, 'Order Refunded')))).toBe('ZERO_AMOUNT')
  })
})

describe('step 9: the transaction', () => {
  it('carries business, location, perk, email, quantity, sendEmail, order id, messageId and timestamp', () => {
    expect(decide(settings, order({ revenue: '9.99' }))).toEqual({
      status: 'send',
      transaction: {
        businessId: '1001',
        locationId: '2001',
        perkId: '3002',
        email: 'ana@example.com',
        quantity: 9.99,
        kind: 'spend',
        sendEmail: true,
        orderId: 'o-1',
        messageId: 'm-1',
        timestamp: '2026-11-23T10:00:00Z',
      },
    })
  })
  it('messageId and timestamp are null when not strings', () => {
    const out = decide(settings, track('Checked In', { email: 'a@b.co', messageId: 5, timestamp: undefined }))
    expect(out).toMatchObject({ transaction: { messageId: null, timestamp: null } })
  })
})

describe('hostile input', () => {
  it('nested __proto__ keys are plain data', () => {
    const event = JSON.parse(
      '{"type":"track","event":"Checked In","__proto__":{"email":"x@y.co"},"properties":{"__proto__":{"order_id":"o","revenue":5},"email":"a@b.co"}}',
    )
    expect(decide(settings, event)).toMatchObject({
      status: 'send',
      transaction: { email: 'a@b.co', kind: 'event' },
    })
  })
  it('inherited properties are not event data', () => {
    const event = Object.create({ type: 'track', event: 'Checked In', email: 'a@b.co' })
    expect(code(decide(settings, event))).toBe('UNSUPPORTED_EVENT_TYPE')
  })
  it('the API key never appears in a message, even when the event carries it', () => {
    const out = decide(settings, track('k-123', { email: 'a@b.co' }))
    expect(code(out)).toBe('EVENT_NOT_ALLOWLISTED')
    expect(JSON.stringify(out)).not.toContain('k-123')
  })
})

describe('once per calendar day (oncePerDayEvents)', () => {
  const daily = parseSettings({
    apiKey: 'k-123',
    businessId: 1001,
    locationId: 2001,
    eventToPerkMap: { 'Checked In': 3001, 'Order Completed': 3002, 'Class Booked': 3003 },
    oncePerDayEvents: ['Checked In', 'Order Completed'],
    audienceToPerkMap: { gym_regulars: 3003 },
  })
  const email = { properties: { email: 'ana@example.com' } }

  it('marks a listed event’s transaction, and changes nothing else of the decision', () => {
    const listed = decide(daily, track('Checked In', email))
    const plain = decide({ ...daily, oncePerDayEvents: [] }, track('Checked In', email))
    expect(listed).toEqual({
      status: 'send',
      transaction: { ...(plain as { transaction: object }).transaction, oncePerDay: true },
    })
  })

  it('marks a listed order event too (spend and refund rules unchanged)', () => {
    const outcome = decide(daily, order({ revenue: 12.5 }))
    expect(outcome).toMatchObject({
      status: 'send',
      transaction: { kind: 'spend', quantity: 12.5, oncePerDay: true },
    })
  })

  it('leaves the field out of every other transaction: not listed, or an audience', () => {
    const other = decide(daily, track('Class Booked', email))
    expect(other.status).toBe('send')
    expect('oncePerDay' in (other as { transaction: object }).transaction).toBe(false)
    const audience = decide(daily, {
      type: 'identify',
      traits: { email: 'ana@example.com', gym_regulars: true },
    })
    expect(audience).toMatchObject({ status: 'send', transaction: { kind: 'audience' } })
    expect('oncePerDay' in (audience as { transaction: object }).transaction).toBe(false)
  })

  it('does not rescue a skip or a reject', () => {
    expect(code(decide(daily, order({ revenue: 0 })))).toBe('ZERO_AMOUNT')
    expect(code(decide(daily, track('Checked In')))).toBe('MISSING_EMAIL')
  })
})
