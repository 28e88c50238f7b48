import { boundAnswerJson, boundErrorText } from '../../perkville/bounded-body.js'
import type { AttemptRow, Completion } from './storage.js'

/**
 * A completion as either store writes it: each attempt's request and answer at most 8 KB and each
 * error at most 500 characters (bounded-body.ts), whatever Perkville answered. The stores call this
 * at their edge, so no path to the attempts or last_error columns can skip it.
 */
export function boundedCompletions(completions: Completion[]): Completion[] {
  return completions.map((c) => {
    const result = c.result
    return {
      ...c,
      log: c.log.map(boundedAttempt),
      result: 'error' in result ? { ...result, error: boundErrorText(result.error) } : result,
    }
  })
}

function boundedAttempt(a: AttemptRow): AttemptRow {
  return {
    ...a,
    request: boundAnswerJson(a.request),
    response: boundAnswerJson(a.response),
    error: boundErrorText(a.error),
  }
}
