import { createHash } from 'node:crypto'

/** Keys that differ between two sends of the same event, or are secrets, and so never identify it. */
const VOLATILE_KEYS = new Set(['receivedAt', 'sentAt', 'writeKey'])

/**
 * The id Perkville dedups on: the event's messageId, or, without one, the sha256 of its canonical
 * content (sorted-key JSON, top-level receivedAt/sentAt/writeKey left out). Computed on the event as
 * sent, before `timestamp` is defaulted, so a resend of an event without messageId or timestamp
 * maps to the same id.
 */
export function externalIdOf(event: Record<string, unknown>): string {
  const messageId = event.messageId
  if (typeof messageId === 'string' && messageId !== '') return messageId
  return contentHash(event)
}

export function contentHash(event: Record<string, unknown>): string {
  const hash = createHash('sha256')
  const top: Record<string, unknown> = {}
  for (const key of Object.keys(event)) if (!VOLATILE_KEYS.has(key)) top[key] = event[key]
  hash.update(canonicalJson(top))
  return hash.digest('hex')
}

/** JSON with object keys sorted at every depth; undefined members dropped as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value)
    return text === undefined ? 'null' : text
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const obj = value as Record<string, unknown>
  const parts: string[] = []
  for (const key of Object.keys(obj).sort()) {
    const member = obj[key]
    if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue
    parts.push(`${JSON.stringify(key)}:${canonicalJson(member)}`)
  }
  return `{${parts.join(',')}}`
}
