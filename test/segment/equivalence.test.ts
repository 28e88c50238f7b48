import { parseFql, validate } from '@segment/destination-subscriptions'
import fc from 'fast-check'
import nock from 'nock'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decide, parseSettings, REJECT_CODES, transactionExternalId } from '../../src/core/index.js'
import { transactionRequestBody } from '../../src/perkville/wire.js'
import { createTestEvent, createTestIntegration, transform } from '../../src/segment/actions/actions-core.js'

import destination from '../../src/segment/actions/perkville/index.js'
import {
  AUDIENCE_MAP,
  amountArb,
  audienceEventArb,
  engageArb,
  names,
  orderIdArb,
  trackArb,
} from '../fixtures/event-arbitraries.js'
import { API, nockForThisFile } from './actions-harness.js'
import { buildFunction, loadFunction } from './function-harness.js'

/**
 * The three forms of the destination, on one generated set of events: the core (as the service runs
 * it), the Actions destination through actions-core's own test harness, and the built Destination
 * Function in a vm context. Each must make the same decision, send the same body and the same
 * external id. A skip is observable in the packaged forms only as "no request and no error".
 */

const EVENTS = 10_000
const SEED = 20261201

const rawSettings = {
  apiKey: 'equivalence-token-123',
  businessId: '1001',
  locationId: 2001,
  sendEmail: false,
  eventToPerkMap: {
    'Order Completed': 3002,
    'Order Refunded': 3002,
    'Checked In': 3001,
    'order refunded': 3003,
    // A track of this name without an audience's Engage context is a plain event to the core.
    'Audience Entered': 3001,
  },
  audienceToPerkMap: AUDIENCE_MAP,
  oncePerDayEvents: ['Checked In'],
}
const core = parseSettings(rawSettings)
const actionSettings = {
  ...rawSettings,
  locationId: String(rawSettings.locationId),
  eventToPerkMap: JSON.stringify(rawSettings.eventToPerkMap),
  audienceToPerkMap: JSON.stringify(rawSettings.audienceToPerkMap),
  oncePerDayEvents: JSON.stringify(rawSettings.oncePerDayEvents),
}

/** What a form did with one event, in terms every form can show. */
type Verdict = { status: 'send'; body: unknown } | { status: 'skip' } | { status: 'reject'; code: string }

/**
 * Segment-deliverable events: JSON (as they travel), of a type the destination is subscribed to, with
 * the fields Segment always adds (the harness's createTestEvent) fixed once so all forms see the same.
 * The containers have the types of the Segment spec (`context`, `properties` and `traits` objects;
 * `context.personas` absent or an object, as Engage writes it): actions-core itself fails on a null
 * context or personas, and Segment never delivers one. Every value inside them stays arbitrary; the
 * core's handling of odd containers is covered by its property tests.
 */
function generatedEvents(): Record<string, unknown>[] {
  // Orders with real emails, so every amount rule is reached often, not only by chance.
  const orderArb = fc.record({
    type: fc.constant('track'),
    event: fc.constantFrom(...names),
    messageId: fc.uuid(),
    properties: fc.record(
      {
        email: fc.emailAddress(),
        order_id: orderIdArb,
        revenue: amountArb,
        value: amountArb,
        total: amountArb,
      },
      { requiredKeys: ['email', 'order_id'] },
    ),
  })
  const arb = fc.oneof(
    { weight: 4, arbitrary: trackArb },
    { weight: 2, arbitrary: orderArb },
    { weight: 2, arbitrary: audienceEventArb },
    { weight: 2, arbitrary: engageArb },
  )
  const out: Record<string, unknown>[] = []
  let seed = SEED
  while (out.length < EVENTS) {
    for (const generated of fc.sample(arb, { numRuns: EVENTS, seed: seed++ })) {
      const json = JSON.parse(JSON.stringify(generated ?? null) ?? 'null')
      if (typeof json !== 'object' || json === null || Array.isArray(json)) continue
      if (json.type !== 'track' && json.type !== 'identify') continue
      out.push(segmentShaped(JSON.parse(JSON.stringify(createTestEvent(json)))))
      if (out.length === EVENTS) break
    }
  }
  return out
}

function segmentShaped(event: Record<string, unknown>): Record<string, unknown> {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
  for (const key of ['context', 'properties', 'traits']) if (!isObject(event[key])) event[key] = {}
  const context = event.context as Record<string, unknown>
  if ('personas' in context && !isObject(context.personas)) delete context.personas
  return event
}

function coreVerdict(event: Record<string, unknown>): Verdict {
  const outcome = decide(core, event)
  if (outcome.status === 'send') {
    const tx = outcome.transaction
    return { status: 'send', body: transactionRequestBody(tx, transactionExternalId(event, tx)) }
  }
  return outcome.status === 'skip' ? { status: 'skip' } : { status: 'reject', code: outcome.error.code }
}

/** The code at the start of a reject's message (`CODE: what was wrong`). */
function codeOf(err: unknown): string {
  const message =
    err instanceof Error || (typeof err === 'object' && err !== null)
      ? String((err as Error).message)
      : String(err)
  return /^([A-Z_]+):/.exec(message)?.[1] ?? `not a reject: ${(err as Error)?.name}: ${message}`
}

/** The destination's presets, with their subscriptions parsed by Segment's own FQL package. */
const presets = (destination.presets ?? []).map((preset) => {
  if (!('subscribe' in preset) || !('partnerAction' in preset))
    throw new Error(`preset ${preset.name} has no subscription`)
  return { ...preset, condition: parseFql(preset.subscribe) }
})

/** The presets an event triggers, as Segment routes it: each preset whose subscription it matches. */
const presetsFor = (event: Record<string, unknown>) => presets.filter((p) => validate(p.condition, event))

describe('cross-form equivalence: core, Actions destination, Destination Function', () => {
  nockForThisFile()
  let events: Record<string, unknown>[]
  let fn: ReturnType<typeof loadFunction>
  let fnRequests: Array<{ url: string; body: string }>
  let actionBodies: unknown[]

  beforeAll(async () => {
    events = generatedEvents()
    fnRequests = []
    const { code } = await buildFunction()
    // The Function's requests are captured where its fetch is called: no HTTP round trip per event.
    fn = loadFunction(code, async (url: string, init: { body: string }) => {
      fnRequests.push({ url, body: init.body })
      return { status: 201, headers: { get: () => null }, text: async () => '{"id":1}' }
    })
    // The Actions destination's requests stop at nock, which answers every transaction 201.
    actionBodies = []
    nock.disableNetConnect()
    nock(API)
      .persist()
      .post('/v2/transactions/', (body) => {
        actionBodies.push(body)
        return true
      })
      .reply(201, { id: 1 })
  }, 60_000)

  afterAll(() => {
    nock.cleanAll()
    nock.enableNetConnect()
  })

  it(`makes the same decision, body and external id for each of ${EVENTS.toLocaleString('en')} events`, async () => {
    const testDestination = createTestIntegration(destination)
    const tally = new Map<string, number>()
    const mismatches: string[] = []
    const fnSettings = fn.local(rawSettings)

    let copiedByMappingKit = 0
    for (const [i, event] of events.entries()) {
      const expected = coreVerdict(event)
      // actions-core's mapping-kit copies the event before any destination code runs, and its copy
      // drops own `__proto__` keys; where the copy differs, the Actions form is held to the core's
      // verdict on that copy (what reaches the destination's code in Segment too).
      const copy = transform({ e: { '@path': '$.' } }, event).e as Record<string, unknown>
      const copied = !isDeepStrictEqual(copy, event)
      if (copied) copiedByMappingKit++
      // The copy differs from the event in nothing but those keys.
      if (!isDeepStrictEqual(copy, withoutProtoKeys(event)))
        mismatches.push(`event ${i}: mapping-kit changed more than __proto__ keys`)
      const expectedActions = copied ? coreVerdict(copy) : expected
      const label =
        expected.status === 'send'
          ? `send ${(expected.body as { trans_source_id: string }).trans_source_id.startsWith('aud-') ? 'audience' : 'other'}`
          : expected.status === 'reject'
            ? expected.code
            : 'skip'
      tally.set(label, (tally.get(label) ?? 0) + 1)
      // The two kinds of event the presets once missed (issue 21): counted where the core sends them.
      if (expected.status === 'send' && !isMembership(event))
        if (event.type === 'identify')
          tally.set(
            'sent identify without Engage context',
            (tally.get('sent identify without Engage context') ?? 0) + 1,
          )
        else if (event.event === 'Audience Entered')
          tally.set(
            'sent Audience Entered as an event',
            (tally.get('sent Audience Entered as an event') ?? 0) + 1,
          )

      // Actions, routed by the presets' subscriptions, through actions-core's harness (mapping-kit,
      // schema validation, perform). An event no preset takes sends nothing and fails nothing.
      actionBodies.length = 0
      let actions: Verdict = { status: 'skip' }
      const triggered = presetsFor(event)
      if (triggered.length > 1)
        mismatches.push(
          `event ${i}: triggers ${triggered.map((p) => p.name).join(', ')}: it would be sent twice`,
        )
      for (const preset of triggered) {
        try {
          await testDestination.testAction(preset.partnerAction, {
            event: event as never,
            settings: actionSettings,
            mapping: preset.mapping as never,
          })
          if (actionBodies.length === 1) actions = { status: 'send', body: actionBodies[0] }
        } catch (err) {
          actions = { status: 'reject', code: codeOf(err) }
        }
      }

      // The built Function, as Segment runs it.
      fnRequests.length = 0
      let functionVerdict: Verdict
      try {
        await fn.dispatch(event, fnSettings)
        functionVerdict =
          fnRequests.length === 1
            ? { status: 'send', body: JSON.parse(fnRequests[0]!.body) }
            : { status: 'skip' }
      } catch (err) {
        functionVerdict = { status: 'reject', code: codeOf(err) }
      }

      for (const [form, got, want] of [
        ['actions', actions, expectedActions],
        ['function', functionVerdict, expected],
      ] as const) {
        if (!isDeepStrictEqual(got, want)) {
          mismatches.push(
            `event ${i} ${JSON.stringify(event).slice(0, 300)}\n  core ${JSON.stringify(want)}\n  ${form} ${JSON.stringify(got)}`,
          )
        }
      }
      if (mismatches.length >= 5) break
    }

    expect(mismatches).toEqual([])
    // Most events reach the Actions form unchanged and are held to the core's verdict on the event itself.
    expect(copiedByMappingKit).toBeLessThan(EVENTS / 5)
    // The set reaches every kind of outcome, so agreement is not agreement on one easy case.
    const counts = Object.fromEntries(tally)
    // Every reject code but the two the set cannot hold (text that is not JSON, another event type).
    const unreachable = ['INVALID_JSON', 'UNSUPPORTED_EVENT_TYPE']
    for (const label of [
      'send audience',
      'send other',
      'sent identify without Engage context',
      'sent Audience Entered as an event',
      'skip',
      ...REJECT_CODES.filter((code) => !unreachable.includes(code)),
    ]) {
      expect(counts[label] ?? 0, `${label} in ${JSON.stringify(counts)}`).toBeGreaterThan(10)
    }
  }, 120_000)
})

/** An event whose Engage context names an audience or journey step (as the core reads it). */
function isMembership(event: Record<string, unknown>): boolean {
  const personas = (event.context as Record<string, unknown> | undefined)?.personas as
    | Record<string, unknown>
    | undefined
  return ['audience', 'journey_step'].includes(personas?.computation_class as string)
}

function withoutProtoKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutProtoKeys)
  if (typeof value !== 'object' || value === null) return value
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => k !== '__proto__')
      .map(([k, v]) => [k, withoutProtoKeys(v)]),
  )
}

function isDeepStrictEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(sorted(a)) === JSON.stringify(sorted(b))
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted)
  if (typeof value !== 'object' || value === null) return value
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sorted((value as Record<string, unknown>)[k])]),
  )
}
