import { type Settings as CoreSettings, parseSettings, SettingsError } from '../../../core/index.js'
import { IntegrationError } from '../actions-core.js'
import type { Settings } from './generated-types.js'

/**
 * The destination's settings as the core's validated Settings. Segment's global settings cannot be
 * objects, so the event → perk map arrives as JSON text; it is read here and then checked by the
 * core like every other setting, so the rules of the map live in one place.
 */
export function coreSettingsOf(settings: Settings): CoreSettings {
  let map: unknown = settings.eventToPerkMap
  if (typeof map === 'string') {
    const text = map.trim()
    if (text === '') {
      map = {}
    } else {
      try {
        map = JSON.parse(text)
      } catch {
        throw invalidSettings(['eventToPerkMap is not valid JSON: write it as {"Event Name": perkId, ...}'])
      }
    }
  }
  try {
    return parseSettings({
      apiKey: settings.apiKey,
      businessId: settings.businessId,
      locationId: settings.locationId,
      eventToPerkMap: map,
      sendEmail: settings.sendEmail,
    })
  } catch (err) {
    if (err instanceof SettingsError) throw invalidSettings(err.problems)
    throw err
  }
}

function invalidSettings(problems: string[]): Error {
  // Not retryable: every event fails the same way until the settings are fixed.
  return new IntegrationError(`Invalid Perkville settings: ${problems.join('; ')}`, 'INVALID_SETTINGS', 400)
}
