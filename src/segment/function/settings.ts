import { parseSettings, type Settings, SettingsError } from '../../core/index.js'
import { DEFAULT_BASE_URL } from '../../perkville/wire.js'
import type { FunctionErrors } from './runtime.js'

export interface FunctionSettings {
  core: Settings
  baseUrl: string
}

/**
 * The Function's settings (as created in the Segment workspace) as the core's Settings plus the
 * Perkville URL. Bad settings throw ValidationError with the core's message, which never holds the key.
 */
export function functionSettingsOf(input: unknown, errors: FunctionErrors): FunctionSettings {
  const raw = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>
  let core: Settings
  try {
    core = parseSettings({
      apiKey: raw.apiKey,
      businessId: raw.businessId,
      locationId: raw.locationId,
      eventToPerkMap: raw.eventToPerkMap,
      sendEmail: raw.sendEmail,
      audienceToPerkMap: raw.audienceToPerkMap,
      oncePerDayEvents: raw.oncePerDayEvents,
    })
  } catch (err) {
    if (err instanceof SettingsError) throw new errors.ValidationError(err.message)
    throw err
  }
  return { core, baseUrl: baseUrlOf(raw.perkvilleUrl, errors) }
}

/** The URL class is not part of the Function runtime's guaranteed globals, so the check is textual. */
const HTTP_URL = /^https?:\/\/[^\s/?#@]+(\/[^\s?#]*)?$/i

/** An empty or unset perkvilleUrl means the real API; anything else must be an http(s) base URL. */
function baseUrlOf(value: unknown, errors: FunctionErrors): string {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
    return DEFAULT_BASE_URL
  }
  if (typeof value === 'string' && HTTP_URL.test(value.trim())) return value.trim()
  throw new errors.ValidationError(
    `invalid settings: perkvilleUrl must be an http(s) base URL without query, such as ${DEFAULT_BASE_URL}, got ${describe(value)}`,
  )
}

function describe(value: unknown): string {
  if (typeof value !== 'string') return `a ${typeof value}`
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)
}
