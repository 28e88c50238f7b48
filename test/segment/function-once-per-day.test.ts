import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DAILY_LIMIT_ANSWERS, type RunningSandbox, startSandbox } from '../../src/sandbox/index.js'
import { conformanceSettings } from '../fixtures/conformance.js'
import { buildFunction, loadFunction, ValidationError } from './function-harness.js'

/** Noon in New York, fixed: every award of a test falls on one calendar day of the business. */
const NOON = Date.parse('2026-12-07T17:00:00Z')

let code: string
const sandboxes = new Map<string, RunningSandbox>()

beforeAll(async () => {
  code = (await buildFunction()).code
  for (const form of DAILY_LIMIT_ANSWERS) {
    sandboxes.set(form, await startSandbox({ memory: true, now: () => NOON, dailyLimitAnswer: form }))
  }
})
afterAll(async () => {
  for (const sb of sandboxes.values()) await sb.close()
})

let n = 0
const checkIn = () => ({
  type: 'track',
  event: 'Checked In',
  messageId: `fn-daily-${++n}`,
  timestamp: '2026-12-07T17:00:00.000Z',
  properties: { email: 'kim@example.com' },
})
const settingsFor = (sb: RunningSandbox, overrides: Record<string, unknown> = {}) => ({
  ...conformanceSettings,
  perkvilleUrl: sb.url,
  oncePerDayEvents: ['Checked In'],
  ...overrides,
})

describe('the Destination Function: once per calendar day', () => {
  it.each(DAILY_LIMIT_ANSWERS)(
    'sends the flag, and takes Perkville refusing a second award that day (%s answer) as a skip, not an error',
    async (form) => {
      const sb = sandboxes.get(form)!
      const { dispatch } = loadFunction(code)
      await expect(dispatch(checkIn(), settingsFor(sb))).resolves.toBeUndefined()
      await expect(dispatch(checkIn(), settingsFor(sb))).resolves.toBeUndefined()
      expect(sb.transactions()).toHaveLength(1)
      // Not once per day: both awards go through.
      const plain = settingsFor(sb, { oncePerDayEvents: [], eventToPerkMap: { 'Checked In': 3002 } })
      await dispatch(checkIn(), plain)
      await dispatch(checkIn(), plain)
      expect(sb.transactions()).toHaveLength(3)
    },
  )

  it('a once-per-day event outside the map is ValidationError naming it', async () => {
    const { dispatch } = loadFunction(code)
    const sb = sandboxes.get('error_codes')!
    const attempt = dispatch(checkIn(), settingsFor(sb, { oncePerDayEvents: ['Check In'] }))
    await expect(attempt).rejects.toBeInstanceOf(ValidationError)
    await expect(attempt).rejects.toThrow(
      'oncePerDayEvents has "Check In", which is not a key of eventToPerkMap',
    )
  })
})
