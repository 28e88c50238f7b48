import { describe, expect, it } from 'vitest'
import { classifyTransactionAnswer, dailyLimitRefusal } from '../../src/perkville/wire.js'
import { DAILY_LIMIT_ANSWERS, dailyLimitBody } from '../../src/sandbox/daily-limit.js'

const daily = { oncePerDay: true as const }
const MESSAGE = 'This perk can only be earned once per day.'

/**
 * The assumption docs/perkville-api.md names: Perkville does not document how it refuses a second
 * once-per-day award, so every plausible form of the refusal is read as the daily limit.
 */
describe('a refused second once-per-day award, in every plausible form', () => {
  const forms: Array<[string, number, unknown]> = [
    ['the documented v1 shape, errors list', 400, { status: 'failure', error_codes: [], errors: [MESSAGE] }],
    [
      'the documented v1 shape, a code of its own',
      400,
      { status: 'failure', error_codes: [{ code: 'E010', message: MESSAGE }], errors: [MESSAGE] },
    ],
    ['field-keyed on the flag', 400, { limit_to_once_per_calendar_day: [MESSAGE] }],
    ['field-keyed under errors', 400, { errors: { limit_to_once_per_calendar_day: [MESSAGE] } }],
    ['field-keyed under the resource name (Tastypie)', 400, { transactions: { __all__: [MESSAGE] } }],
    ['a detail', 400, { detail: 'Perk already awarded to this customer today.' }],
    ['a 409', 409, { error: 'Daily limit reached for this perk' }],
    ['a 403', 403, { detail: 'The perk is limited to once per calendar day.' }],
    ['a 422', 422, { message: 'limited to once a day' }],
    ['plain text', 400, 'Already received this perk today'],
  ]
  it.each(forms)('%s → daily_limit, with Perkville’s message kept', (_form, status, body) => {
    const answer = classifyTransactionAnswer(daily, status, body, null)
    expect(answer.class).toBe('daily_limit')
    expect(answer).toMatchObject({ status, message: expect.stringMatching(new RegExp(`^HTTP ${status}: `)) })
  })

  it.each(DAILY_LIMIT_ANSWERS)('recognises the sandbox’s %s answer', (form) => {
    expect(
      classifyTransactionAnswer(daily, 400, dailyLimitBody(form, 3001, '2026-12-07'), null),
    ).toMatchObject({
      class: 'daily_limit',
      status: 400,
    })
  })

  it('is only ever the answer to a once-per-day transaction', () => {
    const body = { status: 'failure', errors: [MESSAGE] }
    expect(classifyTransactionAnswer({}, 400, body, null).class).toBe('permanent')
  })

  it('never reads the field name alone: a refusal of the flag itself is an error, not a skip', () => {
    const body = { limit_to_once_per_calendar_day: ['Must be a boolean.'] }
    expect(classifyTransactionAnswer(daily, 400, body, null).class).toBe('permanent')
    expect(
      dailyLimitRefusal({ errors: { limit_to_once_per_calendar_day: ['This field is required.'] } }),
    ).toBeNull()
  })

  it('leaves 401, 408, 429 and 5xx as they were, whatever their text says', () => {
    const body = { detail: MESSAGE }
    expect(classifyTransactionAnswer(daily, 401, body, null).class).toBe('credentials')
    expect(classifyTransactionAnswer(daily, 408, body, null).class).toBe('temporary')
    expect(classifyTransactionAnswer(daily, 429, body, '3').class).toBe('temporary')
    expect(classifyTransactionAnswer(daily, 500, body, null).class).toBe('temporary')
  })

  it('leaves other answers to a once-per-day transaction alone: delivered, a duplicate, a plain 400', () => {
    expect(classifyTransactionAnswer(daily, 201, { id: 7, points: 10 }, null).class).toBe('delivered')
    expect(classifyTransactionAnswer(daily, 409, { detail: 'already exists' }, null).class).toBe(
      'already_delivered',
    )
    expect(
      classifyTransactionAnswer(daily, 400, { errors: { quantity: ['must not be zero'] } }, null).class,
    ).toBe('permanent')
  })

  it('reads a bounded part of a huge or deep answer', () => {
    const wide = { errors: Array.from({ length: 10_000 }, () => 'nothing to see') }
    expect(dailyLimitRefusal(wide)).toBeNull()
    let deep: unknown = MESSAGE
    for (let i = 0; i < 50; i++) deep = { nested: deep }
    expect(dailyLimitRefusal(deep)).toBeNull()
    expect(dailyLimitRefusal({ errors: [`${'x'.repeat(5_000)} once per day`] })).toBeNull()
    expect(dailyLimitRefusal({ errors: [`once per day ${'x'.repeat(5_000)}`] })).toHaveLength(500)
  })
})
