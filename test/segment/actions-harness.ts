import type { JSONObject, SegmentEvent } from '@segment/actions-core'
import nock from 'nock'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createTestIntegration } from '../../src/segment/actions/actions-core.js'
import type { Settings } from '../../src/segment/actions/perkville/generated-types.js'
import destination from '../../src/segment/actions/perkville/index.js'
import { conformanceSettings } from '../fixtures/conformance.js'

export const API = 'https://api.perkville.com'

// nock patches http and fetch as soon as it is imported. Test files share a process (vitest.config.ts,
// isolate: false), so it is active only between the beforeAll and afterAll of a file that uses it.
nock.restore()

/** Activates nock for this test file only (see above); a file using nock without useNock calls this. */
export function nockForThisFile(): void {
  beforeAll(() => {
    if (!nock.isActive()) nock.activate()
  })
  afterAll(() => {
    nock.restore()
  })
}

/** The conformance settings as the Actions destination takes them (the maps as JSON text). */
export const actionSettings: Settings = {
  apiKey: conformanceSettings.apiKey,
  businessId: String(conformanceSettings.businessId),
  locationId: String(conformanceSettings.locationId),
  eventToPerkMap: JSON.stringify(conformanceSettings.eventToPerkMap),
  sendEmail: conformanceSettings.sendEmail,
  audienceToPerkMap: JSON.stringify(conformanceSettings.audienceToPerkMap ?? {}),
}

/**
 * Installs nock for a test file and returns the list of requests that reached nock unmatched,
 * so "nothing was sent" can be asserted.
 */
export function useNock(): string[] {
  const seen: string[] = []
  const record = (req: { method: string; path: string }) => seen.push(`${req.method} ${req.path}`)
  nockForThisFile()
  beforeAll(() => {
    nock.disableNetConnect()
    nock.emitter.on('no match', record)
  })
  afterAll(() => {
    nock.emitter.off('no match', record)
    nock.enableNetConnect()
  })
  afterEach(() => {
    nock.cleanAll()
    seen.length = 0
  })
  return seen
}

/** One POST /v2/transactions/ answered with `status`/`body`; the request body and headers are captured. */
export function transactionsAnswer(status: number, body: unknown = {}, headers: Record<string, string> = {}) {
  const captured: { body?: unknown; auth?: string } = {}
  const scope = nock(API)
    .post('/v2/transactions/', (b) => {
      captured.body = b
      return true
    })
    .reply(function (_uri, _body) {
      captured.auth = String(this.req.headers.authorization)
      return [status, body, headers]
    })
  return { scope, captured }
}

/** The body one action posts for `event` with exactly `mapping` (Perkville answers 201). */
async function requestBody(action: string, event: object, mapping: JSONObject) {
  const { captured } = transactionsAnswer(201, { id: 1 })
  await createTestIntegration(destination).testAction(action, {
    event: event as Partial<SegmentEvent>,
    settings: actionSettings,
    mapping,
  })
  return captured.body
}

/**
 * Pins the body Perkville receives from `action` for `event`, one test per mapping: the bodies are in
 * the test file's __snapshots__, so a change to one must be deliberate (`vitest -u`) and shows in review.
 */
export function pinRequestBodies(action: string, event: object, mappings: Record<string, JSONObject>): void {
  useNock()
  describe(`${action} request body`, () => {
    for (const [name, mapping] of Object.entries(mappings)) {
      it(name, async () => {
        expect(await requestBody(action, event, mapping)).toMatchSnapshot()
      })
    }
  })
}
