import vm from 'node:vm'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { audienceExternalId, externalIdFor } from '../../src/core/index.js'
import { type RunningSandbox, startSandbox } from '../../src/sandbox/index.js'
import { conformanceCases, conformanceSettings } from '../fixtures/conformance.js'
import { AUDIENCE_KEY, membershipIdentify, personas } from '../fixtures/engage.js'
import {
  buildFunction,
  EventNotSupported,
  HANDLERS,
  InvalidEventPayload,
  loadFunction as load,
  RetryError,
  ValidationError,
} from './function-harness.js'

/** Rejects the Function counts as "not supported" (filtered) rather than as broken data. */
const NOT_HANDLED = ['UNSUPPORTED_EVENT_TYPE', 'EVENT_NOT_ALLOWLISTED', 'AUDIENCE_NOT_MAPPED']

let code: string
let sandbox: RunningSandbox

beforeAll(async () => {
  const built = await buildFunction()
  expect(built.stdout).toMatch(/^build-function: wrote .*segment-function\.js \(\d+\.\d kB\)\n$/)
  code = built.code
  sandbox = await startSandbox({ memory: true })
})

afterAll(async () => {
  await sandbox?.close()
})

afterEach(() => {
  sandbox.setFaults({})
  sandbox.reset()
})

const loadFunction = () => load(code)

const settingsFor = (overrides: Record<string, unknown> = {}) => ({
  ...conformanceSettings,
  perkvilleUrl: sandbox.url,
  ...overrides,
})

const order = (overrides: Record<string, unknown> = {}) => ({
  type: 'track',
  event: 'Order Completed',
  messageId: 'fn-1',
  timestamp: '2026-11-23T10:00:00.000Z',
  properties: { order_id: 'o-1', revenue: 9.99, email: 'ana@example.com' },
  ...overrides,
})

describe('the built file', () => {
  it('is one script: no import, require or export, top-level handlers for every event type', () => {
    expect(code).not.toMatch(/^\s*(import|export)\s/m)
    expect(code).not.toMatch(/\brequire\s*\(/)
    const { context, handlers } = loadFunction()
    for (const name of HANDLERS) expect(typeof handlers[name]).toBe('function')
    // Nothing beyond the language was available to it, so nothing else is relied upon.
    expect(
      vm.runInContext('[typeof require, typeof process, typeof URL, typeof TextEncoder].join()', context),
    ).toBe('undefined,undefined,undefined,undefined')
  })

  it('page, screen, group and alias are not supported', async () => {
    const { handlers, local } = loadFunction()
    for (const name of ['onPage', 'onScreen', 'onGroup', 'onAlias'] as const) {
      await expect(
        handlers[name](local({ type: name.slice(2).toLowerCase() }), local(settingsFor())),
      ).rejects.toBeInstanceOf(EventNotSupported)
    }
    expect(sandbox.transactions()).toHaveLength(0)
  })
})

describe('the conformance sample, through the Function and the sandbox', () => {
  // A line that is not JSON never reaches a Function: Segment refuses it at ingestion.
  const cases = conformanceCases().filter((c) => c.event !== null)

  it('every event gets the outcome the spec gives it', async () => {
    const { dispatch } = loadFunction()
    const settings = settingsFor()
    let sent = 0
    for (const c of cases) {
      const event = c.event!
      const before = sandbox.transactions().length
      const run = dispatch(event, settings)
      const where = `line ${c.line} (${String(event.messageId)})`
      if (c.expected.status === 'send') {
        await expect(run, where).resolves.toBeUndefined()
        sent++
        const txs = sandbox.transactions()
        expect(txs, where).toHaveLength(before + 1)
        const tx = c.expected.transaction!
        expect(txs.at(-1), where).toMatchObject({
          business: 1001,
          location: 2001,
          perk: Number(tx.perkId),
          email: tx.email,
          quantity: tx.quantity,
          send_email: tx.sendEmail,
          trans_source_id:
            tx.kind === 'audience' ? audienceExternalId(tx.audienceKey!, tx.email) : event.messageId,
        })
      } else if (c.expected.status === 'skip') {
        await expect(run, where).resolves.toBeUndefined()
        expect(sandbox.transactions(), where).toHaveLength(before)
      } else {
        const code = c.expected.error!.code
        const expectedClass = NOT_HANDLED.includes(code) ? EventNotSupported : InvalidEventPayload
        await expect(run, where).rejects.toBeInstanceOf(expectedClass)
        await expect(run, where).rejects.toThrow(code)
        expect(sandbox.transactions(), where).toHaveLength(before)
      }
    }
    expect(sent).toBe(cases.filter((c) => c.expected.status === 'send').length)
    expect(sent).toBeGreaterThan(0)
  })

  it('a page event handed to onTrack is rejected by the rules as unsupported', async () => {
    const { handlers, local } = loadFunction()
    const run = handlers.onTrack(
      local({ type: 'page', properties: { email: 'a@b.co' } }),
      local(settingsFor()),
    )
    await expect(run).rejects.toBeInstanceOf(EventNotSupported)
    await expect(run).rejects.toThrow('UNSUPPORTED_EVENT_TYPE')
  })
})

describe('Engage audiences', () => {
  const KEY = AUDIENCE_KEY
  const entered = (email: string, messageId: string, member = true) =>
    membershipIdentify(email, member, messageId)

  it('onIdentify awards an entered audience once per customer: re-syncs and re-entries add nothing', async () => {
    const { dispatch } = loadFunction()
    await expect(dispatch(entered('Ana@Example.com', 'sync-1'), settingsFor())).resolves.toBeUndefined()
    await expect(dispatch(entered('ana@example.com', 'sync-2'), settingsFor())).resolves.toBeUndefined()
    await expect(
      dispatch(entered('ana@example.com', 'exit-1', false), settingsFor()),
    ).resolves.toBeUndefined()
    await expect(dispatch(entered('ana@example.com', 'enter-2'), settingsFor())).resolves.toBeUndefined()
    const txs = sandbox.transactions()
    expect(txs).toHaveLength(1)
    expect(txs[0]).toMatchObject({
      perk: 3003,
      quantity: 1,
      // The sandbox keeps emails lower-cased, as Perkville matches customers.
      email: 'ana@example.com',
      trans_source_id: audienceExternalId(KEY, 'ana@example.com'),
    })
  })

  it('onTrack handles Audience Entered and Audience Exited from Engage', async () => {
    const { dispatch } = loadFunction()
    const track = (event: string, member: boolean) => ({
      type: 'track',
      event,
      messageId: `t-${event}`,
      properties: { audience_key: KEY, [KEY]: member },
      context: { traits: { email: 'ed@example.com' }, personas: personas(KEY, 'journey_step') },
    })
    await expect(dispatch(track('Audience Exited', false), settingsFor())).resolves.toBeUndefined()
    expect(sandbox.transactions()).toHaveLength(0)
    await expect(dispatch(track('Audience Entered', true), settingsFor())).resolves.toBeUndefined()
    expect(sandbox.transactions()).toEqual([
      expect.objectContaining({
        email: 'ed@example.com',
        trans_source_id: audienceExternalId(KEY, 'ed@example.com'),
      }),
    ])
  })

  it('an ordinary identify and a computed trait are skipped without an error', async () => {
    const { dispatch } = loadFunction()
    await expect(
      dispatch(
        { type: 'identify', userId: 'u', traits: { email: 'cy@example.com', name: 'Cy' } },
        settingsFor(),
      ),
    ).resolves.toBeUndefined()
    const trait = { ...entered('cy@example.com', 'c-1'), context: { personas: personas(KEY, 'trait') } }
    await expect(dispatch(trait, settingsFor())).resolves.toBeUndefined()
    expect(sandbox.transactions()).toHaveLength(0)
  })

  it('an unmapped audience is EventNotSupported; ambiguous or non-boolean memberships are InvalidEventPayload', async () => {
    const { dispatch } = loadFunction()
    const unmapped = { ...entered('di@example.com', 'd-1'), context: { personas: personas('big_spenders') } }
    const run = dispatch(unmapped, settingsFor())
    await expect(run).rejects.toBeInstanceOf(EventNotSupported)
    await expect(run).rejects.toThrow('AUDIENCE_NOT_MAPPED')
    const two = { type: 'identify', traits: { email: 'a@b.co', [KEY]: true, vip: true } }
    const ambiguous = dispatch(two, settingsFor({ audienceToPerkMap: { [KEY]: 3003, vip: 3001 } }))
    await expect(ambiguous).rejects.toBeInstanceOf(InvalidEventPayload)
    await expect(ambiguous).rejects.toThrow('AMBIGUOUS_AUDIENCE')
    const notBoolean = dispatch(
      { ...entered('a@b.co', 'n-1'), traits: { email: 'a@b.co', [KEY]: 'true' } },
      settingsFor(),
    )
    await expect(notBoolean).rejects.toBeInstanceOf(InvalidEventPayload)
    await expect(notBoolean).rejects.toThrow('INVALID_AUDIENCE_VALUE')
    expect(sandbox.transactions()).toHaveLength(0)
  })

  it('an outage on an audience award is RetryError; the retry awards once', async () => {
    const { dispatch } = loadFunction()
    sandbox.setFaults({ outage: true })
    await expect(dispatch(entered('ana@example.com', 'o-1'), settingsFor())).rejects.toBeInstanceOf(
      RetryError,
    )
    sandbox.setFaults({})
    await expect(dispatch(entered('ana@example.com', 'o-1'), settingsFor())).resolves.toBeUndefined()
    expect(sandbox.transactions()).toHaveLength(1)
  })

  it('a bad audienceToPerkMap is ValidationError naming it', async () => {
    const { dispatch } = loadFunction()
    const run = dispatch(
      entered('ana@example.com', 'b-1'),
      settingsFor({ audienceToPerkMap: { [KEY]: 'x' } }),
    )
    await expect(run).rejects.toBeInstanceOf(ValidationError)
    await expect(run).rejects.toThrow(`audienceToPerkMap["${KEY}"] must be a positive integer perk id`)
  })
})

describe('Perkville answers', () => {
  it('a replay (409 on the external id) is success, and awards once', async () => {
    const { dispatch } = loadFunction()
    await dispatch(order(), settingsFor())
    await expect(dispatch(order(), settingsFor())).resolves.toBeUndefined()
    expect(sandbox.transactions()).toHaveLength(1)
  })

  it('without a messageId, a retry of the same event still awards once', async () => {
    const { dispatch } = loadFunction()
    const event = order({ messageId: undefined })
    await dispatch(event, settingsFor())
    await dispatch(event, settingsFor())
    const txs = sandbox.transactions()
    expect(txs).toHaveLength(1)
    // The same id the service and the Actions form derive for this event.
    expect(txs[0]!.trans_source_id).toBe(externalIdFor(event))
    expect(txs[0]!.trans_source_id).toMatch(/^sha256-[0-9a-f]{40}$/)
  })

  it('an outage is RetryError, and the retry after it delivers', async () => {
    const { dispatch } = loadFunction()
    sandbox.setFaults({ outage: true })
    await expect(dispatch(order(), settingsFor())).rejects.toBeInstanceOf(RetryError)
    expect(sandbox.transactions()).toHaveLength(0)
    sandbox.setFaults({})
    await expect(dispatch(order(), settingsFor())).resolves.toBeUndefined()
    expect(sandbox.transactions()).toHaveLength(1)
  })

  it('5xx and 429 are RetryError', async () => {
    const { dispatch } = loadFunction()
    sandbox.setFaults({ errorRate: 1, errorStatus: 502 })
    await expect(dispatch(order(), settingsFor())).rejects.toBeInstanceOf(RetryError)
    sandbox.setFaults({ rateLimitRate: 1, retryAfter: 2 })
    await expect(dispatch(order(), settingsFor())).rejects.toBeInstanceOf(RetryError)
    expect(sandbox.transactions()).toHaveLength(0)
  })

  it('a 500 after Perkville recorded the transaction is retried, and the retry does not double it', async () => {
    const { dispatch } = loadFunction()
    sandbox.setFaults({ commitThenFailRate: 1, commitThenFailMode: 'error', scope: 'writes' })
    await expect(dispatch(order(), settingsFor())).rejects.toBeInstanceOf(RetryError)
    expect(sandbox.transactions()).toHaveLength(1)
    sandbox.setFaults({})
    await expect(dispatch(order(), settingsFor())).resolves.toBeUndefined()
    expect(sandbox.transactions()).toHaveLength(1)
  })

  it('a network error is RetryError', async () => {
    const gone = await startSandbox({ memory: true })
    const url = gone.url
    await gone.close()
    const { dispatch } = loadFunction()
    const run = dispatch(order(), settingsFor({ perkvilleUrl: url }))
    await expect(run).rejects.toBeInstanceOf(RetryError)
    await expect(run).rejects.toThrow('could not reach Perkville')
  })

  it('a refused token is ValidationError that says what to do and never shows the key', async () => {
    const { dispatch } = loadFunction()
    const run = dispatch(order(), settingsFor({ apiKey: 'wrong-secret-token-123' }))
    await expect(run).rejects.toBeInstanceOf(ValidationError)
    await expect(run).rejects.toThrow('Perkville refused the apiKey')
    await expect(run).rejects.not.toThrow('wrong-secret-token-123')
  })

  it('a token without the grant scope (403) is ValidationError too', async () => {
    const { dispatch } = loadFunction()
    const run = dispatch(order(), settingsFor({ apiKey: 'sandbox-readonly-token' }))
    await expect(run).rejects.toBeInstanceOf(ValidationError)
    await expect(run).rejects.not.toThrow('sandbox-readonly-token')
  })

  it('another 4xx is ValidationError with Perkville\u2019s message', async () => {
    const { dispatch } = loadFunction()
    const run = dispatch(order(), settingsFor({ eventToPerkMap: { 'Order Completed': 9999 } }))
    await expect(run).rejects.toBeInstanceOf(ValidationError)
    await expect(run).rejects.toThrow('perk 9999 not found')
    expect(sandbox.transactions()).toHaveLength(0)
  })
})

describe('settings', () => {
  it('bad settings are ValidationError with the core\u2019s message, never the key', async () => {
    const { dispatch } = loadFunction()
    const run = dispatch(order(), settingsFor({ businessId: 'abc', apiKey: 'a-secret-key-value' }))
    await expect(run).rejects.toBeInstanceOf(ValidationError)
    await expect(run).rejects.toThrow('businessId must be a positive integer, got "abc"')
    await expect(run).rejects.not.toThrow('a-secret-key-value')
    const missing = dispatch(order(), settingsFor({ apiKey: undefined }))
    await expect(missing).rejects.toBeInstanceOf(ValidationError)
    await expect(missing).rejects.toThrow('apiKey is required')
  })

  it('perkvilleUrl must be an http(s) URL; empty means the real API', async () => {
    const { dispatch } = loadFunction()
    const run = dispatch(order(), settingsFor({ perkvilleUrl: 'ftp://example.com/v2/' }))
    await expect(run).rejects.toBeInstanceOf(ValidationError)
    await expect(run).rejects.toThrow('perkvilleUrl must be an http(s) base URL')
  })

  it('sendEmail is passed on', async () => {
    const { dispatch } = loadFunction()
    await dispatch(order(), settingsFor({ sendEmail: true }))
    expect(sandbox.transactions()[0]).toMatchObject({ send_email: true })
  })

  it('a refund removes points', async () => {
    const { dispatch } = loadFunction()
    await dispatch(
      order({
        event: 'Order Refunded',
        messageId: 'fn-r',
        properties: { order_id: 'o-1', total: '4.50', email: 'ana@example.com' },
      }),
      settingsFor(),
    )
    expect(sandbox.transactions()[0]).toMatchObject({ quantity: -4.5, perk: 3002 })
  })
})
