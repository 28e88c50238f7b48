import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { unauthorized } from './http-error.js'

/**
 * Secret comparisons. Both sides are hashed to a fixed length first so timingSafeEqual never sees
 * different lengths (which would leak the length) and every comparison costs the same.
 */
const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest()

export function secretsEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected))
}

export interface WriteKeyChecker {
  /** True when `candidate` is one of the configured write keys. */
  valid(candidate: string | null | undefined): boolean
  /** The label of the configured key `candidate` is (`write key 1`…), or null. */
  label(candidate: string | null | undefined): string | null
}

/**
 * Events are stored with the label of the key that let them in (its place in the configured list),
 * so an operator can tell senders apart without the key ever being stored or shown.
 */
export function writeKeyLabel(index: number): string {
  return `write key ${index + 1}`
}

export function writeKeyChecker(keys: readonly string[]): WriteKeyChecker {
  const digests = keys.map(digest)
  const which = (candidate: string | null | undefined): number => {
    if (typeof candidate !== 'string' || candidate === '') return -1
    const given = digest(candidate)
    let found = -1
    // Compare against every key so the time taken does not say which one matched.
    digests.forEach((expected, i) => {
      if (timingSafeEqual(given, expected) && found === -1) found = i
    })
    return found
  }
  return {
    valid: (candidate) => which(candidate) !== -1,
    label(candidate) {
      const i = which(candidate)
      return i === -1 ? null : writeKeyLabel(i)
    },
  }
}

/** The user part of `Authorization: Basic base64(user:password)`, or null. */
export function basicAuthUser(header: string | undefined): string | null {
  if (!header) return null
  const match = /^\s*basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header)
  if (!match) return null
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  return colon === -1 ? decoded : decoded.slice(0, colon)
}

/** The token of `Authorization: Bearer TOKEN`, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(header)
  return match ? match[1]! : null
}

/** Constant-time check of a hex HMAC-SHA1 signature over `data`. */
export function signatureMatches(secret: string, data: Buffer | string, signature: string): boolean {
  const expected = createHmac('sha1', secret).update(data).digest()
  const trimmed = signature
    .trim()
    .toLowerCase()
    .replace(/^sha1=/, '')
  if (!/^[0-9a-f]{40}$/.test(trimmed)) return false
  return timingSafeEqual(expected, Buffer.from(trimmed, 'hex'))
}

/**
 * The tracking API's authentication: the write key as HTTP Basic user name, or as `writeKey` in the
 * JSON body (what analytics.js sends). Either one being valid is enough; answers the key's label.
 */
export function requireWriteKey(
  checker: WriteKeyChecker,
  authorization: string | undefined,
  body: unknown,
): string {
  const basic = basicAuthUser(authorization)
  const basicLabel = checker.label(basic)
  if (basicLabel !== null) return basicLabel
  const bodyKey =
    typeof body === 'object' && body !== null && !Array.isArray(body)
      ? (body as { writeKey?: unknown }).writeKey
      : undefined
  const bodyLabel = typeof bodyKey === 'string' ? checker.label(bodyKey) : null
  if (bodyLabel !== null) return bodyLabel
  throw unauthorized(
    basic === null && bodyKey === undefined
      ? 'a write key is required: HTTP Basic with the write key as user name and an empty password, or "writeKey" in the body'
      : 'the write key is not valid',
  )
}
