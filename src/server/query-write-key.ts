import type { WriteKeyChecker } from './auth.js'
import { basicAuthUser } from './auth.js'

/**
 * For the browser routes that cannot send headers (a beacon, a config fetch): the write key in the
 * `writeKey` query parameter, or else as HTTP Basic user name. Returns whether either is valid and
 * whether a query key was given at all (for the error message, which never repeats it).
 */
export function queryOrBasicWriteKey(
  checker: WriteKeyChecker,
  query: { writeKey?: unknown },
  authorization: string | undefined,
): { valid: boolean; given: boolean; label: string | null } {
  const queryKey = typeof query.writeKey === 'string' ? query.writeKey : null
  const label = checker.label(queryKey) ?? checker.label(basicAuthUser(authorization))
  return { valid: label !== null, given: queryKey !== null || authorization !== undefined, label }
}
