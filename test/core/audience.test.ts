import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  audienceExternalId,
  decide,
  isSkipCode,
  type Outcome,
  parseSettings,
  planLine,
  REJECT_CODES,
  SettingsError,
  SKIP_CODES,
  transactionExternalId,
} from '../../src/core/index.js'

const settings = parseSettings({
  apiKey: 'k-audience-123',
  businessId: 1001,
  locationId: 2001,
  eventToPerkMap: { 'Checked In': 3001, 'Audience Entered': 3009 },
  audienceToPerkMap: { ' order_completed_last_30days ': 3003, vip: '0042' },
})

const personas = (key: unknown, computationClass: unknown = 'audience') => ({
  computation_class: computationClass,
  computation_key: key,
  computation_id: 'aud_1',
  space_id: 'spa_1',
  namespace: 'spa_1',
})

const identify = (traits: unknown, extra: Record<string, unknown> = {}) => ({
  type: 'identify',
  messageId: 'm-1',
  timestamp: '2026-11-23T10:00:00Z',
  userId: 'u1',
  traits,
  ...extra,
})

const engageTrack = (event: string, properties: unknown, extra: Record<string, unknown> = {}) => ({
  type: 'track',
  event,
  messageId: 'm-2',
  properties,
  context: { traits: { email: 'ed@example.com' }, personas: personas('order_completed_last_30days') },
  ...extra,
})

function code(outcome: Outcome): string {
  if (outcome.status === 'send') return 'SEND'
  return outcome.status === 'skip' ? outcome.reason.code : outcome.error.code
}
function sent(outcome: Outcome) {
  if (outcome.status !== 'send') throw new Error(`expected send, got ${JSON.stringify(outcome)}`)
  return outcome.transaction
}
const message = (outcome: Outcome) =>
  outcome.status === 'reject'
    ? outcome.error.message
    : outcome.status === 'skip'
      ? outcome.reason.message
      : ''

describe('audienceToPerkMap (settings)', () => {
  it('is optional, defaults to {} and is normalised like eventToPerkMap: trimmed keys, ids as strings', () => {
    expect({ ...parseSettings({ apiKey: 'k', businessId: 1, locationId: 1 }).audienceToPerkMap }).toEqual({})
    expect({
      ...parseSettings({ apiKey: 'k', businessId: 1, locationId: 1, audienceToPerkMap: null })
        .audienceToPerkMap,
    }).toEqual({})
    expect({ ...settings.audienceToPerkMap }).toEqual({ order_completed_last_30days: '3003', vip: '42' })
  })

  it.each([
    [[], 'audienceToPerkMap must be an object of audience key → perk id, got an array'],
    ['x', 'audienceToPerkMap must be an object of audience key → perk id, got string'],
    [{ '  ': 1 }, 'audienceToPerkMap has an empty audience key'],
    [{ vip: 0 }, 'audienceToPerkMap["vip"] must be a positive integer perk id, got 0'],
    [{ vip: 'abc' }, 'audienceToPerkMap["vip"] must be a positive integer perk id'],
    [{ vip: 1, ' vip': 2 }, 'audienceToPerkMap maps "vip" twice'],
  ])('%j is refused with a message naming audienceToPerkMap', (map, expected) => {
    let problems: string[] = []
    try {
      parseSettings({ apiKey: 'k', businessId: 1, locationId: 1, audienceToPerkMap: map })
    } catch (err) {
      expect(err).toBeInstanceOf(SettingsError)
      problems = (err as SettingsError).problems
    }
    expect(problems).toHaveLength(1)
    expect(problems[0]).toContain(expected)
  })

  it('has a null prototype: constructor and __proto__ are keys only when put there', () => {
    const s = parseSettings(
      JSON.parse('{"apiKey":"k","businessId":1,"locationId":1,"audienceToPerkMap":{"__proto__":5}}'),
    )
    expect(Object.getPrototypeOf(s.audienceToPerkMap)).toBeNull()
    expect(Object.hasOwn(s.audienceToPerkMap, '__proto__')).toBe(true)
    expect(Object.hasOwn(s.audienceToPerkMap, 'constructor')).toBe(false)
  })
})

describe('step 2: which events are audience events', () => {
  it('every identify', () => {
    expect(code(decide(settings, identify({ email: 'a@b.co', vip: true })))).toBe('SEND')
    expect(code(decide(settings, identify(undefined)))).toBe('NOT_AN_AUDIENCE')
  })

  it('a track named exactly Audience Entered or Audience Exited with an audience or journey_step class', () => {
    for (const name of ['Audience Entered', 'Audience Exited']) {
      for (const cls of ['audience', 'journey_step']) {
        const event = engageTrack(name, { order_completed_last_30days: true })
        ;(event.context as { personas: unknown }).personas = personas('order_completed_last_30days', cls)
        expect(sent(decide(settings, event)).kind).toBe('audience')
      }
    }
  })

  it('other tracks follow the track rules: another name, another case, no or another personas class', () => {
    const props = { order_completed_last_30days: true }
    expect(code(decide(settings, engageTrack('audience entered', props)))).toBe('EVENT_NOT_ALLOWLISTED')
    expect(
      sent(
        decide(
          settings,
          engageTrack('Audience Entered', props, { context: { traits: { email: 'e@x.co' } } }),
        ),
      ).kind,
    ).toBe('event')
    const trait = engageTrack('Audience Entered', props, {
      context: { traits: { email: 'e@x.co' }, personas: personas('order_completed_last_30days', 'trait') },
    })
    expect(sent(decide(settings, trait))).toMatchObject({ kind: 'event', perkId: '3009' })
  })
})

describe('A1: which audience', () => {
  it('personas with an audience class: its computation_key, which must be mapped', () => {
    const tx = sent(
      decide(
        settings,
        identify(
          { email: 'bea@example.com', order_completed_last_30days: true },
          { context: { personas: personas('order_completed_last_30days') } },
        ),
      ),
    )
    expect(tx).toMatchObject({
      kind: 'audience',
      audienceKey: 'order_completed_last_30days',
      perkId: '3003',
      quantity: 1,
    })
    const other = decide(
      settings,
      identify(
        { email: 'bea@example.com', big_spenders: true },
        { context: { personas: personas('big_spenders') } },
      ),
    )
    expect(code(other)).toBe('AUDIENCE_NOT_MAPPED')
    expect(message(other)).toContain('"big_spenders"')
  })

  it('personas name the audience even when the traits also carry another mapped audience', () => {
    const both = identify(
      { email: 'a@b.co', vip: false, order_completed_last_30days: true },
      { context: { personas: personas('order_completed_last_30days') } },
    )
    expect(sent(decide(settings, both)).audienceKey).toBe('order_completed_last_30days')
  })

  it('a journey_step is a membership like an audience', () => {
    const event = identify(
      { email: 'a@b.co', vip: true },
      { context: { personas: personas('vip', 'journey_step') } },
    )
    expect(sent(decide(settings, event))).toMatchObject({ audienceKey: 'vip', perkId: '42' })
  })

  it('a computed trait (any other non-empty class) is skipped NOT_AN_AUDIENCE, even when its key is mapped', () => {
    const event = identify(
      { email: 'a@b.co', vip: true },
      { context: { personas: personas('vip', 'trait') } },
    )
    const out = decide(settings, event)
    expect(code(out)).toBe('NOT_AN_AUDIENCE')
    expect(message(out)).toContain('computed trait')
  })

  it('an audience class without a usable key falls back to the traits', () => {
    for (const key of [undefined, '', 5, null]) {
      const event = identify({ email: 'a@b.co', vip: true }, { context: { personas: personas(key) } })
      expect(sent(decide(settings, event)).audienceKey).toBe('vip')
    }
  })

  it('without personas: the one mapped trait; none is NOT_AN_AUDIENCE, two are AMBIGUOUS_AUDIENCE', () => {
    expect(sent(decide(settings, identify({ email: 'a@b.co', vip: true, plan: 'pro' }))).audienceKey).toBe(
      'vip',
    )
    expect(code(decide(settings, identify({ email: 'cy@example.com', name: 'Cy' })))).toBe('NOT_AN_AUDIENCE')
    const two = decide(settings, identify({ email: 'a@b.co', vip: true, order_completed_last_30days: true }))
    expect(code(two)).toBe('AMBIGUOUS_AUDIENCE')
    expect(message(two)).toContain('"order_completed_last_30days", "vip"')
    // Ambiguity is decided on keys alone, before any value is read.
    expect(code(decide(settings, identify({ vip: 'x', order_completed_last_30days: false })))).toBe(
      'AMBIGUOUS_AUDIENCE',
    )
  })

  it('an empty personas class or non-object personas/context count as no Engage context', () => {
    for (const context of [{ personas: personas('big_spenders', '') }, { personas: 'x' }, 'x', []]) {
      expect(sent(decide(settings, identify({ email: 'a@b.co', vip: true }, { context }))).audienceKey).toBe(
        'vip',
      )
    }
  })

  it('matches map keys exactly after the map was trimmed: the event key is not trimmed or case-folded', () => {
    expect(code(decide(settings, identify({ email: 'a@b.co', ' vip ': true })))).toBe('NOT_AN_AUDIENCE')
    expect(code(decide(settings, identify({ email: 'a@b.co', VIP: true })))).toBe('NOT_AN_AUDIENCE')
    expect(
      sent(decide(settings, identify({ email: 'a@b.co', order_completed_last_30days: true }))).perkId,
    ).toBe('3003')
  })

  it('is prototype-safe: constructor, __proto__ and toString are never audiences unless mapped', () => {
    const traits = JSON.parse('{"email":"a@b.co","__proto__":true,"constructor":true,"toString":true}')
    expect(code(decide(settings, identify(traits)))).toBe('NOT_AN_AUDIENCE')
    for (const key of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const out = decide(settings, identify(traits, { context: { personas: personas(key) } }))
      expect(code(out)).toBe('AUDIENCE_NOT_MAPPED')
    }
    const mapped = parseSettings(
      JSON.parse(
        '{"apiKey":"k","businessId":1,"locationId":1,"audienceToPerkMap":{"__proto__":5,"constructor":6}}',
      ),
    )
    expect(code(decide(mapped, identify(traits)))).toBe('AMBIGUOUS_AUDIENCE')
    const proto = decide(mapped, identify(traits, { context: { personas: personas('__proto__') } }))
    expect(sent(proto)).toMatchObject({ audienceKey: '__proto__', perkId: '5' })
    // A trait inherited from the prototype chain is not the event's own.
    const inherited = Object.create({ vip: true })
    inherited.email = 'a@b.co'
    expect(code(decide(settings, identify(inherited)))).toBe('NOT_AN_AUDIENCE')
  })
})

describe('A2: membership', () => {
  const withValue = (value: unknown) =>
    identify({ email: 'a@b.co', vip: value }, { context: { personas: personas('vip') } })

  it('true enters: send', () => {
    expect(code(decide(settings, withValue(true)))).toBe('SEND')
  })

  it('false (the user left) is skipped AUDIENCE_EXITED: nothing is removed', () => {
    const out = decide(settings, withValue(false))
    expect(code(out)).toBe('AUDIENCE_EXITED')
    expect(message(out)).toContain('traits["vip"] is false')
  })

  it.each(['true', 1, 0, null, [true], {}, 'false'])(
    '%j is not a boolean: INVALID_AUDIENCE_VALUE',
    (value) => {
      const out = decide(settings, withValue(value))
      expect(code(out)).toBe('INVALID_AUDIENCE_VALUE')
      expect(message(out)).toContain('traits["vip"]')
    },
  )

  it('a personas key missing from the traits is INVALID_AUDIENCE_VALUE', () => {
    const out = decide(settings, identify({ email: 'a@b.co' }, { context: { personas: personas('vip') } }))
    expect(code(out)).toBe('INVALID_AUDIENCE_VALUE')
    expect(message(out)).toContain('missing')
  })

  it('tracks read properties; non-object traits or properties count as {}', () => {
    expect(
      code(decide(settings, engageTrack('Audience Exited', { order_completed_last_30days: false }))),
    ).toBe('AUDIENCE_EXITED')
    expect(code(decide(settings, engageTrack('Audience Entered', 'x')))).toBe('INVALID_AUDIENCE_VALUE')
    // An identify reads traits, never properties.
    const misplaced = identify('x', { properties: { vip: true }, email: 'a@b.co' })
    expect(code(decide(settings, misplaced))).toBe('NOT_AN_AUDIENCE')
  })
})

describe('A3: email', () => {
  const entered = { vip: true }
  const personasContext = (traits: unknown) => ({ personas: personas('vip'), traits })

  it('the first non-empty of email, traits.email, context.traits.email (identify)', () => {
    const all = identify(
      { ...entered, email: 'traits@x.co' },
      { email: ' top@x.co ', context: personasContext({ email: 'ctx@x.co' }) },
    )
    expect(sent(decide(settings, all)).email).toBe('top@x.co')
    const noTop = identify(
      { ...entered, email: 'traits@x.co' },
      { email: '  ', context: personasContext({ email: 'ctx@x.co' }) },
    )
    expect(sent(decide(settings, noTop)).email).toBe('traits@x.co')
    const onlyContext = identify(
      { ...entered, email: 5 },
      { context: personasContext({ email: 'ctx@x.co' }) },
    )
    expect(sent(decide(settings, onlyContext)).email).toBe('ctx@x.co')
  })

  it('the first non-empty of email, properties.email, context.traits.email (track)', () => {
    const base = { order_completed_last_30days: true }
    expect(sent(decide(settings, engageTrack('Audience Entered', { ...base, email: 'p@x.co' }))).email).toBe(
      'p@x.co',
    )
    expect(sent(decide(settings, engageTrack('Audience Entered', base))).email).toBe('ed@example.com')
    expect(sent(decide(settings, engageTrack('Audience Entered', base, { email: 'top@x.co' }))).email).toBe(
      'top@x.co',
    )
    // A track's traits are not an email place.
    const traitsOnly = engageTrack('Audience Entered', base, {
      traits: { email: 't@x.co' },
      context: { personas: personas('order_completed_last_30days') },
    })
    expect(code(decide(settings, traitsOnly))).toBe('MISSING_EMAIL')
  })

  it('none is MISSING_EMAIL naming the three places; an invalid first one is INVALID_EMAIL', () => {
    const none = decide(settings, identify(entered, { context: personasContext({}) }))
    expect(code(none)).toBe('MISSING_EMAIL')
    expect(message(none)).toBe('no email in email, traits.email or context.traits.email')
    const bad = decide(
      settings,
      identify({ ...entered, email: 'not-an-email' }, { context: personasContext({ email: 'ok@x.co' }) }),
    )
    expect(code(bad)).toBe('INVALID_EMAIL')
    expect(message(bad)).toContain('traits.email')
  })
})

describe('A4: the audience transaction', () => {
  it('quantity 1, kind audience, the mapped perk, no order id, the audience key; messageId and timestamp kept', () => {
    const out = decide(
      settings,
      identify({ email: 'Bea@Example.com', vip: true }, { context: { personas: personas('vip') } }),
    )
    expect(sent(out)).toEqual({
      perkId: '42',
      email: 'Bea@Example.com',
      businessId: '1001',
      locationId: '2001',
      sendEmail: false,
      quantity: 1,
      kind: 'audience',
      orderId: null,
      audienceKey: 'vip',
      messageId: 'm-1',
      timestamp: '2026-11-23T10:00:00Z',
    })
  })

  it('plan prints audienceKey on audience transactions only', () => {
    const audience = planLine(settings, JSON.stringify(identify({ email: 'a@b.co', vip: true })), 1)
    expect(audience.status === 'send' && audience.transaction.audienceKey).toBe('vip')
    const track = planLine(
      settings,
      JSON.stringify({ type: 'track', event: 'Checked In', email: 'a@b.co' }),
      2,
    )
    expect(track.status === 'send' && Object.keys(track.transaction)).not.toContain('audienceKey')
  })
})

describe('the audience external id', () => {
  const expected = (key: string, email: string) =>
    `aud-${createHash('sha256').update(`${key}\n${email.toLowerCase()}`, 'utf8').digest('hex').slice(0, 32)}`

  it('is aud- + 32 hex of SHA-256 over key, newline, lower-cased email', () => {
    expect(audienceExternalId('vip', 'Bea@Example.com')).toBe(expected('vip', 'bea@example.com'))
    expect(audienceExternalId('vip', 'bea@example.com')).toMatch(/^aud-[0-9a-f]{32}$/)
    expect(audienceExternalId('ünïcode_ключ', 'Ä@b.co')).toBe(expected('ünïcode_ключ', 'ä@b.co'))
  })

  it('transactionExternalId picks it for audience transactions and the event id for the others', () => {
    const event = identify({ email: 'Bea@Example.com', vip: true })
    const tx = sent(decide(settings, event))
    expect(transactionExternalId(event, tx)).toBe(expected('vip', 'bea@example.com'))
    const again = { ...event, messageId: 'another-sync' }
    expect(transactionExternalId(again, sent(decide(settings, again)))).toBe(transactionExternalId(event, tx))
    const track = { type: 'track', event: 'Checked In', email: 'a@b.co', messageId: 'm-9' }
    expect(transactionExternalId(track, sent(decide(settings, track)))).toBe('m-9')
  })

  it('survives a lone surrogate in the key (replaced as TextEncoder would)', () => {
    expect(audienceExternalId('a\uD800b', 'x@y.co')).toBe(expected('a\uFFFDb', 'x@y.co'))
  })
})

describe('codes', () => {
  it('are the spec list, skips apart', () => {
    expect([...REJECT_CODES].slice(-3)).toEqual([
      'AUDIENCE_NOT_MAPPED',
      'AMBIGUOUS_AUDIENCE',
      'INVALID_AUDIENCE_VALUE',
    ])
    expect([...SKIP_CODES]).toEqual(['ZERO_AMOUNT', 'NOT_AN_AUDIENCE', 'AUDIENCE_EXITED'])
    expect(SKIP_CODES.every(isSkipCode)).toBe(true)
    expect(REJECT_CODES.some(isSkipCode)).toBe(false)
  })
})
