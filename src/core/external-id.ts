import { sha256 } from '@noble/hashes/sha2.js'
import { withoutNul } from './text-safe.js'
import type { Transaction } from './types.js'

/**
 * The `trans_source_id` (Perkville's dedup key) of the transaction an event turned into, in every form of the destination.
 * An audience award's id depends only on the audience and the customer, so Engage's re-syncs and
 * re-entries (new messageIds) meet Perkville's uniqueness of trans_source_id and award at most once;
 * every other transaction's id is the event's (externalIdFor).
 */
export function transactionExternalId(event: unknown, tx: Transaction): string {
  return tx.kind === 'audience' && tx.audienceKey !== undefined
    ? audienceExternalId(tx.audienceKey, tx.email)
    : externalIdFor(event)
}

/**
 * `aud-` + the first 32 lowercase hex digits of SHA-256 over `<audienceKey>\n<email, lower-cased>`;
 * U+0000 counts as U+FFFD, as for externalIdFor, so the service (which replaces it) agrees with the other forms.
 */
export function audienceExternalId(audienceKey: string, email: string): string {
  return `aud-${hex(sha256(utf8(withoutNul(wellFormed(`${audienceKey}\n${email.toLowerCase()}`))))).slice(0, 32)}`
}

/**
 * The stable id of an event, sent to Perkville as `trans_source_id` so that a resend can never award
 * twice. Every form of the destination (service, Actions, Function) derives it here, so the same event
 * gets the same id whichever form delivers it.
 *
 * The event's own `messageId` when it has one; otherwise a hash of its canonical content. Fields that
 * transports add or change on a resend (`receivedAt`, `sentAt`, `writeKey`, `_metadata`) are left out,
 * so the hash must be taken before the server fills in defaults such as `timestamp`. U+0000 counts as
 * U+FFFD (text-safe.ts), so the id is the same before and after the service's door replaces it.
 */
export function externalIdFor(event: unknown): string {
  const own = ownMessageId(event)
  // Segment keeps messageIds under 100 characters; a longer one is hashed so the id stays bounded.
  if (own !== null) {
    const id = withoutNul(own)
    return id.length <= MAX_MESSAGE_ID ? id : digest(id)
  }
  const content = withoutTransportFields(event)
  const text = canonicalJson(content)
  // JSON writes U+0000 as an escape; only then is the cleaned content canonicalised again.
  return digest(text.includes('\\u0000') ? canonicalJson(withoutNul(content)) : text)
}

const MAX_MESSAGE_ID = 100

// An unusable messageId (empty, not a string) is left out too: it says nothing about the content.
const TRANSPORT_FIELDS = new Set(['receivedAt', 'sentAt', 'writeKey', '_metadata', 'messageId'])

function digest(text: string): string {
  return `sha256-${hex(sha256(utf8(text))).slice(0, 40)}`
}

function ownMessageId(event: unknown): string | null {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return null
  const id = Object.hasOwn(event, 'messageId') ? (event as { messageId: unknown }).messageId : undefined
  return typeof id === 'string' && id.trim() !== '' ? id : null
}

function withoutTransportFields(event: unknown): unknown {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return event
  return Object.fromEntries(Object.entries(event).filter(([key]) => !TRANSPORT_FIELDS.has(key)))
}

/** JSON with object keys sorted at every depth: the same content always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`
  if (typeof value === 'object' && value !== null) {
    const parts: string[] = []
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key]
      if (v !== undefined && typeof v !== 'function') parts.push(`${JSON.stringify(key)}:${canonicalJson(v)}`)
    }
    return `{${parts.join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

/**
 * UTF-8 bytes using only language built-ins (the Destination Function's runtime has no TextEncoder).
 * JSON.stringify never emits lone surrogates, so encodeURIComponent cannot throw on canonical JSON;
 * other text (an audience key, an email) goes through wellFormed first.
 */
function utf8(text: string): Uint8Array {
  const binary = unescape(encodeURIComponent(text))
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

function hex(bytes: Uint8Array): string {
  let out = ''
  for (const b of bytes) out += b.toString(16).padStart(2, '0')
  return out
}

/** Lone surrogates replaced by U+FFFD, as TextEncoder does (String.prototype.toWellFormed is too new for every runtime). */
function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
}
