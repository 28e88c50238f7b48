import { describe, expect, it } from 'vitest'
import { DAILY_LIMIT_ANSWERS, dailyLimitBody } from '../../src/sandbox/daily-limit.js'
import { createTestIntegration, IntegrationError } from '../../src/segment/actions/actions-core.js'
import destination from '../../src/segment/actions/perkville/index.js'
import { actionSettings, transactionsAnswer, useNock } from './actions-harness.js'

const seen = useNock()

const checkIn = {
  type: 'track' as const,
  event: 'Checked In',
  messageId: 'daily-1',
  timestamp: '2026-12-07T10:00:00.000Z',
  properties: { email: 'kim@example.com' },
}
const daily = { ...actionSettings, oncePerDayEvents: '["Checked In"]' }

function award(settings: typeof actionSettings, mapping: Record<string, unknown> = {}) {
  return createTestIntegration(destination).testAction('awardPoints', {
    event: checkIn,
    settings,
    mapping: { event: { '@path': '$.' }, ...mapping },
  })
}

describe('awardPoints: once per calendar day', () => {
  it('sends limit_to_once_per_calendar_day for an event of the Once-per-Day Events setting only', async () => {
    const listed = transactionsAnswer(201, { id: 1 })
    await award(daily)
    expect(listed.captured.body).toMatchObject({ perk: 3001, limit_to_once_per_calendar_day: true })
    const plain = transactionsAnswer(201, { id: 2 })
    await award(actionSettings)
    expect(plain.captured.body).not.toHaveProperty('limit_to_once_per_calendar_day')
  })

  it('the Once per Day field overrides the setting for its subscription, both ways', async () => {
    const on = transactionsAnswer(201, { id: 1 })
    await award(actionSettings, { once_per_day: true })
    expect(on.captured.body).toMatchObject({ limit_to_once_per_calendar_day: true })
    const off = transactionsAnswer(201, { id: 2 })
    await award(daily, { once_per_day: false })
    expect(off.captured.body).not.toHaveProperty('limit_to_once_per_calendar_day')
  })

  it.each(DAILY_LIMIT_ANSWERS)(
    'Perkville refusing a second award that day (the sandbox’s %s answer) is a skip: no error, no retry',
    async (form) => {
      const { scope } = transactionsAnswer(400, dailyLimitBody(form, 3001, '2026-12-07'))
      const responses = await award(daily)
      expect(scope.isDone()).toBe(true)
      expect(responses.map((r) => r.status)).toEqual([400])
    },
  )

  it('the same words in the answer to an event that is not once per day stay an error', async () => {
    transactionsAnswer(400, dailyLimitBody('error_codes', 3001, '2026-12-07'))
    const attempt = award(actionSettings)
    await expect(attempt).rejects.toBeInstanceOf(IntegrationError)
    await expect(attempt).rejects.toMatchObject({ code: 'PERKVILLE_REJECTED' })
  })

  it('a setting naming an event outside the map, or not a JSON list, is a settings error sending nothing', async () => {
    const unmapped = award({ ...actionSettings, oncePerDayEvents: '["Checked in"]' })
    await expect(unmapped).rejects.toMatchObject({ code: 'INVALID_SETTINGS' })
    await expect(unmapped).rejects.toThrow(
      'oncePerDayEvents has "Checked in", which is not a key of eventToPerkMap',
    )
    const broken = award({ ...actionSettings, oncePerDayEvents: '["Checked In"' })
    await expect(broken).rejects.toThrow(
      'oncePerDayEvents is not valid JSON: write it as ["Event Name", ...]',
    )
    expect(seen).toEqual([])
    // Blank is no event at all.
    const blank = transactionsAnswer(201, { id: 3 })
    await award({ ...actionSettings, oncePerDayEvents: ' ' })
    expect(blank.captured.body).not.toHaveProperty('limit_to_once_per_calendar_day')
  })
})
