import { z } from 'zod'
import { parseJson } from './json-syntax.js'

/**
 * Destination settings as the rules spec defines them. The schema is the single source of the
 * `Settings` type; every message names the setting and never repeats the API key.
 */

const positiveId = (name: string) =>
  z.unknown().transform((value, ctx): string => {
    const id = normaliseId(value)
    if (id === null) {
      ctx.addIssue({ code: 'custom', message: `${name} must be a positive integer, got ${describe(value)}` })
      return z.NEVER
    }
    return id
  })

const apiKey = z.unknown().transform((value, ctx): string => {
  if (typeof value !== 'string' || value.trim() === '') {
    // The value is a secret, so only its type is reported, never its content.
    const got =
      value === undefined
        ? 'it is missing'
        : typeof value === 'string'
          ? 'it is empty'
          : `got a ${jsonType(value)}`
    ctx.addIssue({ code: 'custom', message: `apiKey is required and must be a non-empty string (${got})` })
    return z.NEVER
  }
  // Copy-paste often adds surrounding whitespace; a bearer token never has any, so it is trimmed.
  const token = value.trim()
  if (!isBearerToken(token)) {
    // Refused here, in every form, because no request could ever carry it: a service that stored
    // such a key could not build its Perkville client, and would not start again.
    ctx.addIssue({ code: 'custom', message: `apiKey ${BEARER_TOKEN_PROBLEM}` })
    return z.NEVER
  }
  return token
})

/** What is wrong with a token that cannot be a bearer token; never quotes the token. */
export const BEARER_TOKEN_PROBLEM =
  'has characters a bearer token cannot have (a space, quote or line break inside it?): copy the token again, or make a new one in Perkville > Settings > Apps > Connect Segment'

/** RFC 6750's b64token: the only form an `Authorization: Bearer` value can take. */
export function isBearerToken(token: string): boolean {
  return /^[A-Za-z0-9\-._~+/]+=*$/.test(token)
}

/**
 * A map from a name (event name, audience key) to a perk id, as both maps of the spec define it:
 * keys trimmed, an empty key or a bad perk id is an error naming the field.
 */
const perkMap = (field: string, keyNoun: string) =>
  z.unknown().transform((value, ctx): Record<string, string> => {
    // Null prototype: a name such as "constructor" or "__proto__" is only in the map if the user put it there.
    const map: Record<string, string> = Object.create(null)
    if (value === undefined || value === null) return map
    if (typeof value !== 'object' || Array.isArray(value)) {
      ctx.addIssue({
        code: 'custom',
        message: `${field} must be an object of ${keyNoun} → perk id, got ${jsonType(value)}`,
      })
      return z.NEVER
    }
    for (const [rawKey, rawPerk] of Object.entries(value)) {
      const key = rawKey.trim()
      if (key === '') {
        ctx.addIssue({
          code: 'custom',
          message: `${field} has an empty ${keyNoun} (key ${JSON.stringify(rawKey)})`,
        })
        continue
      }
      const perk = normaliseId(rawPerk)
      if (perk === null) {
        ctx.addIssue({
          code: 'custom',
          message: `${field}[${JSON.stringify(rawKey)}] must be a positive integer perk id, got ${describe(rawPerk)}`,
        })
        continue
      }
      if (Object.hasOwn(map, key) && map[key] !== perk) {
        ctx.addIssue({
          code: 'custom',
          message: `${field} maps ${JSON.stringify(key)} twice (keys are trimmed) to different perks ${map[key]} and ${perk}`,
        })
        continue
      }
      map[key] = perk
    }
    return map
  })

const sendEmail = z.unknown().transform((value, ctx): boolean => {
  if (value === undefined || value === null) return false
  if (typeof value !== 'boolean') {
    ctx.addIssue({ code: 'custom', message: `sendEmail must be true or false, got ${describe(value)}` })
    return z.NEVER
  }
  return value
})

/** Event names whose award Perkville gives at most once per customer and calendar day; trimmed like the map keys. */
const oncePerDayEvents = z.unknown().transform((value, ctx): string[] => {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) {
    ctx.addIssue({
      code: 'custom',
      message: `oncePerDayEvents must be a list of event names, got ${describe(value)}`,
    })
    return z.NEVER
  }
  const names: string[] = []
  value.forEach((entry, i) => {
    if (typeof entry !== 'string' || entry.trim() === '') {
      ctx.addIssue({
        code: 'custom',
        message: `oncePerDayEvents[${i}] must be a non-empty event name, got ${describe(entry)}`,
      })
    } else if (!names.includes(entry.trim())) names.push(entry.trim())
  })
  return names
})

export const settingsSchema = z
  .object({
    apiKey,
    businessId: positiveId('businessId'),
    locationId: positiveId('locationId'),
    eventToPerkMap: perkMap('eventToPerkMap', 'event name'),
    sendEmail,
    audienceToPerkMap: perkMap('audienceToPerkMap', 'audience key'),
    oncePerDayEvents,
  })
  .superRefine(
    (settings, ctx) => {
      for (const name of settings.oncePerDayEvents) {
        if (!Object.hasOwn(settings.eventToPerkMap, name)) {
          ctx.addIssue({
            code: 'custom',
            message: `oncePerDayEvents has ${JSON.stringify(name)}, which is not a key of eventToPerkMap (only mapped events are awarded)`,
          })
        }
      }
    },
    // Also when other fields are bad, so every problem is told at once; the two fields it reads must have parsed.
    {
      when: (payload) =>
        !payload.issues.some((i) => i.path?.[0] === 'eventToPerkMap' || i.path?.[0] === 'oncePerDayEvents'),
    },
  )

export type Settings = z.output<typeof settingsSchema>

/**
 * Whether two settings decide every event alike: all but the API key, which only authenticates the
 * sending (decide reads it only to keep it out of messages). Maps in another order count as different.
 */
export function decidesAlike(a: Settings, b: Settings): boolean {
  return JSON.stringify({ ...a, apiKey: '' }) === JSON.stringify({ ...b, apiKey: '' })
}

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid settings: ${problems.join('; ')}`)
    this.name = 'SettingsError'
  }
}

/** Validates and normalises settings; throws a SettingsError listing every problem. */
export function parseSettings(input: unknown): Settings {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new SettingsError([`settings must be a JSON object, got ${jsonType(input)}`])
  }
  // Every field's transform handles "missing" itself, so each known key is passed explicitly
  // (zod skips transforms for absent keys). Unknown keys are ignored.
  const source = input as Record<string, unknown>
  const fields = Object.fromEntries(
    Object.keys(settingsSchema.shape).map((key) => [
      key,
      Object.hasOwn(source, key) ? source[key] : undefined,
    ]),
  )
  const result = settingsSchema.safeParse(fields)
  if (result.success) return result.data
  throw new SettingsError(result.error.issues.map((issue) => issue.message))
}

/** Parses settings from JSON text (a settings file). */
export function parseSettingsJson(text: string, source = 'settings'): Settings {
  // Where, never what: the settings hold the API key.
  const parsed = parseJson(text)
  if (!parsed.ok) throw new SettingsError([`${source} is not valid JSON at ${parsed.message}`])
  return parseSettings(parsed.value)
}

/** A copy safe to show: the API key reduced to a hint of its length and last characters. */
export function redactSettings(settings: Settings): Omit<Settings, 'apiKey'> & { apiKey: string } {
  return {
    ...settings,
    eventToPerkMap: { ...settings.eventToPerkMap },
    audienceToPerkMap: { ...settings.audienceToPerkMap },
    oncePerDayEvents: [...settings.oncePerDayEvents],
    apiKey: maskSecret(settings.apiKey),
  }
}

export function maskSecret(secret: string): string {
  return secret.length >= 12 ? `…${secret.slice(-4)}` : '[redacted]'
}

function normaliseId(value: unknown): string | null {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value > 0 ? String(value) : null
  }
  if (typeof value === 'string') {
    const trimmed = value.trim()
    if (!/^\d+$/.test(trimmed)) return null
    const id = BigInt(trimmed)
    return id > 0n ? id.toString() : null
  }
  return null
}

function jsonType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : typeof value
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (it is missing)'
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value)
  return jsonType(value)
}
