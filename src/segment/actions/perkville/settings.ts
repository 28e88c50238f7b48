import { type Settings as CoreSettings, parseSettings, SettingsError } from '../../../core/index.js'
import { IntegrationError } from '../actions-core.js'
import type { Settings } from './generated-types.js'

/**
 * The destination's settings as the core's validated Settings. Segment's global settings cannot be
 * objects, so the perk maps arrive as JSON text; they are read here and then checked by the core
 * like every other setting, so the rules of the maps live in one place.
 */
export function coreSettingsOf(settings: Settings): CoreSettings {
  const problems: string[] = []
  const eventToPerkMap = mapFromText(
    settings.eventToPerkMap,
    'eventToPerkMap',
    '{"Event Name": perkId, ...}',
    problems,
  )
  const audienceToPerkMap = mapFromText(
    settings.audienceToPerkMap,
    'audienceToPerkMap',
    '{"audience_key": perkId, ...}',
    problems,
  )
  const oncePerDayEvents = mapFromText(
    settings.oncePerDayEvents,
    'oncePerDayEvents',
    '["Event Name", ...]',
    problems,
    [],
  )
  if (problems.length > 0) throw invalidSettings(problems)
  try {
    return parseSettings({
      apiKey: settings.apiKey,
      businessId: settings.businessId,
      locationId: settings.locationId,
      eventToPerkMap,
      sendEmail: settings.sendEmail,
      audienceToPerkMap,
      oncePerDayEvents,
    })
  } catch (err) {
    if (err instanceof SettingsError) throw invalidSettings(err.problems)
    throw err
  }
}

/** A map (or list) setting's JSON text as a value for the core to check; blank text is empty. */
function mapFromText(
  value: unknown,
  name: string,
  example: string,
  problems: string[],
  blank: unknown = {},
): unknown {
  if (typeof value !== 'string') return value
  const text = value.trim()
  if (text === '') return blank
  try {
    return JSON.parse(text)
  } catch {
    problems.push(`${name} is not valid JSON: write it as ${example}`)
    return undefined
  }
}

function invalidSettings(problems: string[]): Error {
  // Not retryable: every event fails the same way until the settings are fixed.
  return new IntegrationError(`Invalid Perkville settings: ${problems.join('; ')}`, 'INVALID_SETTINGS', 400)
}
