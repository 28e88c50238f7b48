import { show } from './json.js'
import { reject } from './outcomes.js'
import type { RejectOutcome } from './types.js'

export const MAX_EMAIL_LENGTH = 254

/**
 * The spec's "looks like an address": one `@`, a non-empty local part, a domain with a dot,
 * no whitespace, at most 254 characters. Decided: the domain's dot must separate non-empty
 * labels (`a@.com`, `a@b.` and `a@b..c` are not addresses).
 */
export function looksLikeEmail(value: string): boolean {
  if (value.length > MAX_EMAIL_LENGTH || /\s/.test(value)) return false
  const at = value.indexOf('@')
  if (at <= 0 || value.indexOf('@', at + 1) !== -1) return false
  const domain = value.slice(at + 1)
  const labels = domain.split('.')
  return labels.length >= 2 && labels.every((label) => label.length > 0)
}

/** One place an email may be: the value found there and the path a message names. */
export type EmailCandidate = readonly [value: unknown, path: string]

/**
 * The email step, for tracks and audiences alike: the first candidate that is a non-empty string
 * after trimming is the email, and it must look like an address. A later valid candidate does not
 * rescue an invalid earlier one (decided: predictable).
 */
export function chooseEmail(candidates: readonly EmailCandidate[]): string | RejectOutcome {
  for (const [value, path] of candidates) {
    if (typeof value !== 'string') continue
    const email = value.trim()
    if (email === '') continue
    return looksLikeEmail(email)
      ? email
      : reject('INVALID_EMAIL', `${path} is ${show(email)}, not an email address`)
  }
  const paths = candidates.map(([, path]) => path)
  return reject('MISSING_EMAIL', `no email in ${paths.slice(0, -1).join(', ')} or ${paths[paths.length - 1]}`)
}
