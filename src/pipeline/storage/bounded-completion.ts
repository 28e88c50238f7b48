import { boundAnswerJson, boundErrorText } from '../../perkville/bounded-body.js'
import { storedAttempt } from '../attempt-bodies.js'
import type { AttemptRow, Completion } from './storage.js'

/**
 * A completion as either store writes it: the bodies kept of each attempt (attempt-bodies.ts), its
 * request and answer at most 8 KB and each error at most 500 characters (bounded-body.ts), whatever
 * Perkville answered. The stores call this at their edge, so no path to the attempts or last_error
 * columns can skip it.
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

function boundedAttempt(attempt: AttemptRow): AttemptRow {
  // Slimmed first (attempt-bodies.ts): an attempt that got through keeps only a few facts of
  // Perkville's answer, read from the whole answer rather than from its first 8 KB.
  const a = storedAttempt(attempt)
  return {
    ...a,
    request: boundAnswerJson(a.request),
    response: boundAnswerJson(a.response),
    error: boundErrorText(a.error),
  }
}
