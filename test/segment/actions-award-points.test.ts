import nock from 'nock'
import { describe, expect, it } from 'vitest'
import { audienceExternalId, decide, externalIdFor, parseSettings } from '../../src/core/index.js'
import {
  createTestEvent,
  createTestIntegration,
  IntegrationError,
  InvalidAuthenticationError,
  PayloadValidationError,
  RetryableError,
} from '../../src/segment/actions/actions-core.js'
import destination from '../../src/segment/actions/perkville/index.js'
import { conformanceCases, conformanceSettings } from '../fixtures/conformance.js'
import { API, actionSettings as settings, transactionsAnswer, useNock } from './actions-harness.js'

const TIMESTAMP = '2026-11-23T10:00:00.000Z'
const seen = useNock()

/** Engage's memberships have their own action; everything else goes to awardPoints. */
const actionFor = (event: Record<string, unknown>) =>
  event.type === 'identify' || event.event === 'Audience Entered' || event.event === 'Audience Exited'
    ? 'awardAudiencePerk'
    : 'awardPoints'

const orderEvent = (overrides: Record<string, unknown> = {}) => ({
  type: 'track' as const,
  event: 'Order Completed',
  messageId: 'msg-1',
  timestamp: TIMESTAMP,
  properties: { order_id: 'o-1', revenue: 9.99, email: 'ana@example.com' },
  ...overrides,
})

describe('the conformance sample, through both actions', () => {
  const cases = conformanceCases().filter((c) => c.event !== null)

  it('covers sends, skips and rejects', () => {
    const statuses = new Set(cases.map((c) => c.expected.status))
    expect(statuses).toEqual(new Set(['send', 'skip', 'reject']))
  })

  for (const c of cases) {
    const label = `line ${c.line} (${String(c.event?.messageId)}): ${c.expected.status} ${c.expected.error?.code ?? c.expected.reason?.code ?? ''}`
    it(label, async () => {
      const testDestination = createTestIntegration(destination)
      const event = { ...c.event, timestamp: TIMESTAMP }
      const action = actionFor(event)
      if (c.expected.status === 'send') {
        const tx = c.expected.transaction!
        const { scope, captured } = transactionsAnswer(201, { id: 1, points: 10 })
        await testDestination.testAction(action, { event, settings, useDefaultMappings: true })
        expect(scope.isDone()).toBe(true)
        expect(captured.auth).toBe('Bearer sandbox-token')
        expect(captured.body).toEqual({
          business: 1001,
          location: 2001,
          perk: Number(tx.perkId),
          email: tx.email,
          quantity: tx.quantity,
          send_email: tx.sendEmail,
          trans_source_id:
            tx.kind === 'audience' ? audienceExternalId(tx.audienceKey!, tx.email) : c.event?.messageId,
          transaction_dt: TIMESTAMP,
        })
      } else if (c.expected.status === 'skip') {
        const responses = await testDestination.testAction(action, {
          event,
          settings,
          useDefaultMappings: true,
        })
        expect(responses).toHaveLength(0)
      } else {
        const run = testDestination.testAction(action, { event, settings, useDefaultMappings: true })
        await expect(run).rejects.toBeInstanceOf(PayloadValidationError)
        await expect(run).rejects.toThrow(c.expected.error!.code)
        expect(testDestination.responses).toHaveLength(0)
      }
      expect(seen).toEqual([])
    })
  }
})

describe('awardPoints: Perkville answers', () => {
  const run = () =>
    createTestIntegration(destination).testAction('awardPoints', {
      event: orderEvent(),
      settings,
      useDefaultMappings: true,
    })

  it('201 is delivered', async () => {
    const { scope } = transactionsAnswer(201, { id: 7, points: 10 })
    const responses = await run()
    expect(scope.isDone()).toBe(true)
    expect(responses.map((r) => r.status)).toEqual([201])
  })

  it('409 (trans_source_id already used) is delivered, not an error', async () => {
    const { scope } = transactionsAnswer(409, { resource_uri: '/v2/transactions/7/' })
    const responses = await run()
    expect(scope.isDone()).toBe(true)
    expect(responses.map((r) => r.status)).toEqual([409])
  })

  for (const status of [429, 500, 502, 503]) {
    it(`${status} is retryable`, async () => {
      transactionsAnswer(status, { detail: 'busy' }, { 'Retry-After': '3' })
      const attempt = run()
      await expect(attempt).rejects.toBeInstanceOf(RetryableError)
      await expect(attempt).rejects.toThrow('busy')
    })
  }

  it('a 5xx that RetryableError has no code for is still retryable', async () => {
    transactionsAnswer(501, 'not implemented')
    await expect(run()).rejects.toBeInstanceOf(RetryableError)
  })

  it('a connection error is retryable', async () => {
    nock(API).post('/v2/transactions/').replyWithError('socket hang up')
    const attempt = run()
    await expect(attempt).rejects.toBeInstanceOf(RetryableError)
    await expect(attempt).rejects.toThrow('Could not reach Perkville')
  })

  for (const status of [401, 403]) {
    it(`${status} is an authentication error`, async () => {
      transactionsAnswer(status, { error: 'invalid_token', error_description: 'The access token is invalid' })
      const attempt = run()
      await expect(attempt).rejects.toBeInstanceOf(InvalidAuthenticationError)
      await expect(attempt).rejects.toThrow('The access token is invalid')
    })
  }

  it('400 is final, with Perkville\u2019s message', async () => {
    transactionsAnswer(400, { errors: { email: ['Enter a valid email address.'] } })
    const attempt = run()
    await expect(attempt).rejects.toBeInstanceOf(IntegrationError)
    await expect(attempt).rejects.not.toBeInstanceOf(RetryableError)
    await expect(attempt).rejects.not.toBeInstanceOf(PayloadValidationError)
    await expect(attempt).rejects.toThrow('email: Enter a valid email address.')
    await expect(attempt).rejects.toMatchObject({ status: 400, code: 'PERKVILLE_REJECTED' })
  })

  it('404 is final, with Perkville\u2019s message', async () => {
    transactionsAnswer(404, { detail: 'perk 3002 not found' })
    const attempt = run()
    await expect(attempt).rejects.toBeInstanceOf(IntegrationError)
    await expect(attempt).rejects.toThrow('perk 3002 not found')
  })

  it('never repeats the API key Perkville may echo', async () => {
    transactionsAnswer(400, { detail: `token sandbox-token is not allowed here` })
    const attempt = run()
    await expect(attempt).rejects.toThrow('token [redacted] is not allowed')
    await expect(attempt).rejects.not.toThrow('sandbox-token')
  })
})

describe('awardPoints: fields and settings', () => {
  it('the Perk ID field overrides the map and admits an event outside it', async () => {
    const { scope, captured } = transactionsAnswer(201)
    await createTestIntegration(destination).testAction('awardPoints', {
      event: orderEvent({ event: 'Subscription Renewed', properties: { email: 'ana@example.com' } }),
      settings,
      mapping: { ...mappingDefaults(), perk_id: '4004' },
    })
    expect(scope.isDone()).toBe(true)
    expect(captured.body).toMatchObject({ perk: 4004, quantity: 1 })
  })

  it('a Perk ID that is not a positive integer is a payload error', async () => {
    const attempt = createTestIntegration(destination).testAction('awardPoints', {
      event: orderEvent(),
      settings,
      mapping: { ...mappingDefaults(), perk_id: 'abc' },
    })
    await expect(attempt).rejects.toBeInstanceOf(PayloadValidationError)
    await expect(attempt).rejects.toThrow('perk_id')
  })

  it('the Send Email field overrides the setting', async () => {
    const { captured } = transactionsAnswer(201)
    await createTestIntegration(destination).testAction('awardPoints', {
      event: orderEvent(),
      settings,
      mapping: { ...mappingDefaults(), send_email: true },
    })
    expect(captured.body).toMatchObject({ send_email: true })
  })

  it('orderId (eCommerce v1) counts when order_id is absent; email falls back to context.traits', async () => {
    const { captured } = transactionsAnswer(201)
    await createTestIntegration(destination).testAction('awardPoints', {
      event: orderEvent({
        properties: { orderId: 'legacy-1', total: '12.345' },
        context: { traits: { email: 'bo@example.com' } },
      }),
      settings,
      useDefaultMappings: true,
    })
    expect(captured.body).toMatchObject({ email: 'bo@example.com', quantity: 12.35 })
  })

  it('without a messageId the external id is the SHA-256 of the event as sent, stable across retries', async () => {
    const event = orderEvent({ messageId: undefined })
    const bodies: unknown[] = []
    for (let i = 0; i < 2; i++) {
      const { captured } = transactionsAnswer(201)
      await createTestIntegration(destination).testAction('awardPoints', {
        event,
        settings,
        useDefaultMappings: true,
      })
      bodies.push(captured.body)
    }
    const [first, second] = bodies as { trans_source_id: string }[]
    expect(first!.trans_source_id).toMatch(/^sha256-[0-9a-f]{40}$/)
    expect(second!.trans_source_id).toBe(first!.trans_source_id)
    // The same id the service and the Function derive (the harness's receivedAt/sentAt are transport fields).
    expect(first!.trans_source_id).toBe(externalIdFor(createTestEvent(event)))
  })

  describe('decides on the values as sent, exactly as the core', () => {
    const core = parseSettings(conformanceSettings)
    const cases: Array<[string, Record<string, unknown>]> = [
      ['order_id: true (not an order id: a plain event)', { order_id: true, revenue: 99 }],
      ['revenue: [5] (not an amount)', { order_id: 'o-1', revenue: [5] }],
      ['revenue: "abc"', { order_id: 'o-1', revenue: 'abc' }],
      ['revenue: null, value: 0 (value is the amount)', { order_id: 'o-1', revenue: null, value: 0 }],
      ['order_id: {} with a revenue', { order_id: {}, revenue: 5 }],
    ]
    for (const [label, properties] of cases) {
      it(label, async () => {
        const event = orderEvent({ properties: { email: 'ana@example.com', ...properties } })
        await expectSameAsCore(event)
      })
    }
    it('email: 123 beside a valid properties.email', async () => {
      await expectSameAsCore(orderEvent({ email: 123 }))
    })
    it('email: "" beside a valid properties.email', async () => {
      await expectSameAsCore(orderEvent({ email: '' }))
    })
    it('email: {} beside a valid properties.email', async () => {
      await expectSameAsCore(orderEvent({ email: {} }))
    })

    async function expectSameAsCore(event: Record<string, unknown>) {
      const sent = createTestEvent(event)
      const outcome = decide(core, sent)
      const { scope, captured } = transactionsAnswer(201)
      const run = createTestIntegration(destination).testAction('awardPoints', {
        event: sent,
        settings,
        useDefaultMappings: true,
      })
      if (outcome.status === 'send') {
        await run
        expect(scope.isDone()).toBe(true)
        expect(captured.body).toMatchObject({
          quantity: outcome.transaction.quantity,
          email: outcome.transaction.email,
        })
      } else if (outcome.status === 'skip') {
        await expect(run).resolves.toHaveLength(0)
      } else {
        await expect(run).rejects.toThrow(outcome.error.code)
        expect(scope.isDone()).toBe(false)
      }
    }
  })

  it('a malformed event map is a settings error that never shows the key', async () => {
    const attempt = createTestIntegration(destination).testAction('awardPoints', {
      event: orderEvent(),
      settings: { ...settings, eventToPerkMap: '{"Order Completed": ' },
      useDefaultMappings: true,
    })
    await expect(attempt).rejects.toMatchObject({ code: 'INVALID_SETTINGS' })
    await expect(attempt).rejects.toThrow('eventToPerkMap is not valid JSON')
    expect(seen).toEqual([])
  })

  it('a bad perk id in the map is reported with the core\u2019s message', async () => {
    const attempt = createTestIntegration(destination).testAction('awardPoints', {
      event: orderEvent(),
      settings: { ...settings, eventToPerkMap: '{"Order Completed": "x"}' },
      useDefaultMappings: true,
    })
    await expect(attempt).rejects.toThrow(
      'eventToPerkMap["Order Completed"] must be a positive integer perk id',
    )
  })

  it('a malformed audience map is a settings error naming it', async () => {
    const attempt = createTestIntegration(destination).testAction('awardPoints', {
      event: orderEvent(),
      settings: { ...settings, audienceToPerkMap: '{"vip": ' },
      useDefaultMappings: true,
    })
    await expect(attempt).rejects.toMatchObject({ code: 'INVALID_SETTINGS' })
    await expect(attempt).rejects.toThrow('audienceToPerkMap is not valid JSON')
  })

  it('presets target an action and carry its default mapping: the event as sent', () => {
    const presets = destination.presets ?? []
    expect(presets.map((p) => p.partnerAction)).toEqual([
      'awardPoints',
      'awardPoints',
      'awardPoints',
      'awardAudiencePerk',
    ])
    for (const preset of presets) {
      expect(preset.mapping).toMatchObject({ event: { '@path': '$.' } })
    }
    expect(presets[3]!.mapping).toMatchObject({ personas: { '@path': '$.context.personas' } })
  })
})

describe('testAuthentication', () => {
  it('passes when the token, business and location check out, sending the Bearer token', async () => {
    const auths: string[] = []
    nock(API)
      .get('/v2/businesses/1001/')
      .reply(function () {
        auths.push(String(this.req.headers.authorization))
        return [200, { id: 1001, name: 'Ana\u2019s Gym', resource_uri: '/v2/businesses/1001/' }]
      })
      .get('/v2/locations/')
      .query({ business: '1001' })
      .reply(200, {
        meta: { limit: 20, next: null, offset: 0, previous: null, total_count: 1 },
        objects: [{ id: 2001, name: 'Main St', business: '/v2/businesses/1001/' }],
      })
      // The read-scope check: looking up a transaction by external id is allowed.
      .get('/v2/transactions/')
      .query({ business: '1001', trans_source_id: 'perkville-destination-check' })
      .reply(200, { meta: { next: null, total_count: 0 }, objects: [] })
    await expect(createTestIntegration(destination).testAuthentication(settings)).resolves.toBeUndefined()
    expect(auths).toEqual(['Bearer sandbox-token'])
  })

  it('fails on a rejected token, saying so without the key', async () => {
    nock(API).get('/v2/businesses/1001/').reply(401, { error: 'invalid_token' })
    const attempt = createTestIntegration(destination).testAuthentication(settings)
    await expect(attempt).rejects.toThrow('token rejected')
    await expect(attempt).rejects.not.toThrow('sandbox-token')
  })

  it('fails when the location is not the business\u2019s', async () => {
    nock(API)
      .get('/v2/businesses/1001/')
      .reply(200, { id: 1001, name: 'Gym' })
      .get('/v2/locations/')
      .query(true)
      .reply(200, { meta: { next: null }, objects: [{ id: 9999, name: 'Elsewhere' }] })
    await expect(createTestIntegration(destination).testAuthentication(settings)).rejects.toThrow(
      'location 2001 is not a location of business 1001',
    )
  })
})

function mappingDefaults(): Record<string, unknown> {
  const fields = destination.actions.awardPoints!.fields
  return Object.fromEntries(
    Object.entries(fields).flatMap(([k, f]) => (f.default === undefined ? [] : [[k, f.default]])),
  )
}
