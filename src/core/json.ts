/** Reading untrusted JSON safely: only an object's own data counts, and values are shown short. */

export type Json = Record<string, unknown>

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Non-object properties/context/traits are treated as absent. */
export function objectOrEmpty(value: unknown): Json {
  return isObject(value) ? value : EMPTY
}
const EMPTY: Json = Object.freeze(Object.create(null))

/** Reads only the object's own data: inherited names such as `toString` or `__proto__` are absent. */
export function ownValue(object: Json, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined
}

export function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null
}

export function typeName(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value
}

/** A value as it appears in a message: JSON-ish and short. */
export function show(value: unknown): string {
  if (value === undefined) return 'missing'
  if (typeof value === 'string') return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value)
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value)
  return typeName(value) === 'object' ? 'an object' : typeName(value)
}
