/**
 * The service's words as operators know them from the Settings view: the settings file's field names
 * become the Settings view's, and an event name the map lacks gets its near match.
 */
const SETTINGS_NAMES: Array<[RegExp, string]> = [
  [/\beventToPerkMap\b/g, '"Events that award a perk"'],
  [/\baudienceToPerkMap\b/g, '"Audiences that award a perk"'],
  [/\bbusinessId\b/g, '"Business id"'],
  [/\blocationId\b/g, '"Location id"'],
  [/\bapiKey\b/g, '"API key"'],
]

export function operatorWords(text: string): string {
  let out = text
  for (const [name, words] of SETTINGS_NAMES) out = out.replace(name, words)
  return out
}

const squash = (s: string) => s.toLowerCase().replace(/[\s_-]+/g, '')

/** Edit distance, stopping early past `max` (names are short). */
function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    if (Math.min(...row) > max) return max + 1
    prev = row
  }
  return prev[b.length]!
}

/**
 * The mapped name `name` most likely meant: the same but for case, spaces, `_` or `-`, or (names of
 * four letters or more) one or two letters off. Null when none is that near.
 */
export function nearMatch(name: string, mapped: string[]): string | null {
  if (mapped.includes(name)) return null
  const target = squash(name)
  const same = mapped.find((m) => squash(m) === target && m !== name)
  if (same) return same
  if (target.length < 4) return null
  let best: { name: string; d: number } | null = null
  for (const m of mapped) {
    const d = distance(target, squash(m), 2)
    if (d <= 2 && (best === null || d < best.d)) best = { name: m, d }
  }
  return best?.name ?? null
}
