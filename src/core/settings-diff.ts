import type { Settings } from './settings.js'

type MapField = 'eventToPerkMap' | 'audienceToPerkMap'
const SCALARS = ['businessId', 'locationId', 'sendEmail'] as const
const MAPS: readonly MapField[] = ['eventToPerkMap', 'audienceToPerkMap']

/**
 * What changed between two settings, one line per change, for the settings history an operator
 * reads. The API key is a secret: its line says only that it changed. Empty when nothing changed.
 */
export function describeSettingsChange(before: Settings | null, after: Settings): string[] {
  if (before === null) return ['first version']
  const changes: string[] = []
  if (before.apiKey !== after.apiKey) changes.push('apiKey changed')
  for (const field of SCALARS) {
    if (before[field] !== after[field]) changes.push(`${field} ${before[field]} → ${after[field]}`)
  }
  for (const field of MAPS) {
    const was = before[field]
    const now = after[field]
    for (const key of Object.keys(now)) {
      if (!Object.hasOwn(was, key)) changes.push(`${field}[${JSON.stringify(key)}] → ${now[key]} added`)
      else if (was[key] !== now[key])
        changes.push(`${field}[${JSON.stringify(key)}] ${was[key]} → ${now[key]}`)
    }
    for (const key of Object.keys(was)) {
      if (!Object.hasOwn(now, key)) changes.push(`${field}[${JSON.stringify(key)}] (was ${was[key]}) removed`)
    }
  }
  const daily = (s: Settings) => new Set(s.oncePerDayEvents)
  for (const name of daily(after)) {
    if (!daily(before).has(name)) changes.push(`oncePerDayEvents ${JSON.stringify(name)} added`)
  }
  for (const name of daily(before)) {
    if (!daily(after).has(name)) changes.push(`oncePerDayEvents ${JSON.stringify(name)} removed`)
  }
  return changes
}
