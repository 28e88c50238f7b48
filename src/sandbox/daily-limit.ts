/**
 * How the sandbox refuses a second once-per-day award. Perkville documents the flag
 * (`limit_to_once_per_calendar_day`) but not its refusal, so the sandbox answers in one of the
 * plausible forms, chosen at start: the v1 reference's documented error shape, or a field-keyed
 * validation error on the flag. The destination must recognise both (wire.ts, isDailyLimitRefusal).
 */
export const DAILY_LIMIT_ANSWERS = ['error_codes', 'field'] as const
export type DailyLimitAnswer = (typeof DAILY_LIMIT_ANSWERS)[number]

/** The 400 body of a refused second award of `perk` today. */
export function dailyLimitBody(form: DailyLimitAnswer, perk: number, day: string): Record<string, unknown> {
  const message = `Perk ${perk} can be awarded once per calendar day; this customer already received it today (${day}).`
  return form === 'field'
    ? { limit_to_once_per_calendar_day: [message] }
    : { status: 'failure', error_codes: [], errors: [message] }
}
