/**
 * U+0000 as U+FFFD, in every string and object key. PostgreSQL text cannot hold U+0000, which JSON
 * strings may carry (a messageId, an order id). The destination replaces it once, before anything is
 * derived from the event, and the external id is computed as if it had been replaced, so every form
 * (service on either store, Actions, Function) gives such an event the same id.
 * Returns the value itself when it holds no U+0000, so the common case allocates nothing.
 */
export function withoutNul<T>(value: T): T {
  return hasNul(value) ? (clean(value) as T) : value
}

/** A read-only walk first: most events hold no U+0000, and this one allocates nothing. */
function hasNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000')
  if (typeof value !== 'object' || value === null) return false
  if (Array.isArray(value)) {
    for (const v of value) if (hasNul(v)) return true
    return false
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue
    if (key.includes('\u0000') || hasNul((value as Record<string, unknown>)[key])) return true
  }
  return false
}

function clean(value: unknown): unknown {
  // split/join, not replaceAll: the Destination Function's runtime may predate it.
  if (typeof value === 'string')
    return value.includes('\u0000') ? value.split('\u0000').join('\uFFFD') : value
  if (typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) {
    let out: unknown[] | null = null
    for (let i = 0; i < value.length; i++) {
      const v = clean(value[i])
      if (v !== value[i]) out ??= value.slice()
      if (out) out[i] = v
    }
    return out ?? value
  }
  let changed = false
  const entries: Array<[string, unknown]> = []
  for (const [k, v] of Object.entries(value)) {
    const key = clean(k) as string
    const cleaned = clean(v)
    if (key !== k || cleaned !== v) changed = true
    entries.push([key, cleaned])
  }
  return changed ? Object.fromEntries(entries) : value
}
