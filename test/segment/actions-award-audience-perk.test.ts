import { parseFql, validate } from '@segment/destination-subscriptions'
import { describe, expect, it } from 'vitest'
import { audienceExternalId } from '../../src/core/index.js'
import { createTestIntegration, PayloadValidationError } from '../../src/segment/actions/actions-core.js'
import destination from '../../src/segment/actions/perkville/index.js'
import { AUDIENCE_KEY, membershipIdentify, personas } from '../fixtures/engage.js'
import { actionSettings as settings, transactionsAnswer, useNock } from './actions-harness.js'

const seen = useNock()
const KEY = AUDIENCE_KEY
const identify = membershipIdentify
const run = (event: Record<string, unknown>, mapping?: Record<string, unknown>) =>
  createTestIntegration(destination).testAction('awardAudiencePerk', {
    event,
    settings,
    useDefaultMappings: true,
    ...(mapping ? { mapping: mapping as never } : {}),
  })

describe('awardAudiencePerk', () => {
  it('entering a mapped audience posts quantity 1 of its perk with the audience external id', async () => {
    const { scope, captured } = transactionsAnswer(201, { id: 1 })
    await run(identify('Bea@Example.com', true))
    expect(scope.isDone()).toBe(true)
    expect(captured.body).toMatchObject({
      perk: 3003,
      quantity: 1,
      email: 'Bea@Example.com',
      trans_source_id: audienceExternalId(KEY, 'bea@example.com'),
    })
  })

  it('a re-sync under a new messageId sends the same external id, and 409 (already awarded) is success', async () => {
    const { captured } = transactionsAnswer(409, { resource_uri: '/v2/transactions/7/' })
    const responses = await run(identify('bea@example.com', true, 'resync-9'))
    expect(responses.map((r) => r.status)).toEqual([409])
    expect(captured.body).toMatchObject({ trans_source_id: audienceExternalId(KEY, 'bea@example.com') })
  })

  it('leaving, an ordinary identify and a computed trait send nothing and are not errors', async () => {
    await expect(run(identify('bea@example.com', false))).resolves.toHaveLength(0)
    await expect(
      run({ type: 'identify', traits: { email: 'cy@example.com', name: 'Cy' } }),
    ).resolves.toHaveLength(0)
    const trait = { ...identify('bea@example.com', true), context: { personas: personas(KEY, 'trait') } }
    await expect(run(trait)).resolves.toHaveLength(0)
    expect(seen).toEqual([])
  })

  it('an unmapped audience or a non-boolean membership is a payload error with the code', async () => {
    const unmapped = run(identify('di@example.com', true, 'm-2', 'big_spenders'))
    await expect(unmapped).rejects.toBeInstanceOf(PayloadValidationError)
    await expect(unmapped).rejects.toThrow('AUDIENCE_NOT_MAPPED')
    await expect(run(identify('di@example.com', 'true'))).rejects.toThrow('INVALID_AUDIENCE_VALUE')
    expect(seen).toEqual([])
  })

  it('an Audience Entered track reads properties and context.traits.email', async () => {
    const { captured } = transactionsAnswer(201)
    await run({
      type: 'track',
      event: 'Audience Entered',
      messageId: 'm-3',
      properties: { audience_key: KEY, [KEY]: true },
      context: { traits: { email: 'ed@example.com' }, personas: personas(KEY, 'journey_step') },
    })
    expect(captured.body).toMatchObject({
      email: 'ed@example.com',
      trans_source_id: audienceExternalId(KEY, 'ed@example.com'),
    })
  })

  it('mapped fields take the place of the event’s own: another Engage context decides', async () => {
    const { captured } = transactionsAnswer(201)
    const event = { ...identify('bea@example.com', true), context: {} }
    await run(event, {
      personas: { computation_class: 'audience', computation_key: KEY },
      traits: { '@path': '$.traits' },
      send_email: true,
    })
    expect(captured.body).toMatchObject({ perk: 3003, send_email: true })
  })

  it('its default subscription takes every identify and Engage’s audience tracks, not other tracks', () => {
    const subscription = parseFql(destination.actions.awardAudiencePerk!.defaultSubscription!)
    const matches = (event: Record<string, unknown>) => validate(subscription, event)
    expect(matches(identify('a@b.co', true))).toBe(true)
    expect(
      matches({ ...identify('a@b.co', true), context: { personas: personas(KEY, 'journey_step') } }),
    ).toBe(true)
    expect(matches({ type: 'track', event: 'Audience Exited', context: { personas: personas() } })).toBe(true)
    // The core decides a plain identify by its traits (one may name a mapped audience), and skips a
    // computed trait's: both must reach the action (issue 21).
    expect(matches({ type: 'identify', traits: { email: 'a@b.co', [KEY]: true } })).toBe(true)
    expect(matches({ ...identify('a@b.co', true), context: { personas: personas(KEY, 'trait') } })).toBe(true)
    // An Audience Entered track without an audience's context is a plain event: awardPoints takes it.
    expect(matches({ type: 'track', event: 'Audience Entered', context: {} })).toBe(false)
    expect(matches({ type: 'track', event: 'Order Completed', context: { personas: personas() } })).toBe(
      false,
    )
  })
})
