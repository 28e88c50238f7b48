const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
}

/**
 * Reads a duration as operators write it: "4h", "7d", "30m", "1.5h", "250ms", or a plain number of
 * milliseconds (number or digit string). Null when it is none of these.
 */
export function parseDuration(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value) : null
  if (typeof value !== 'string') return null
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/i.exec(value)
  if (!match) return null
  const amount = Number(match[1])
  const unit = UNIT_MS[(match[2] ?? 'ms').toLowerCase()]
  if (unit === undefined) return null
  const ms = Math.round(amount * unit)
  return Number.isSafeInteger(ms) ? ms : null
}

/** The shortest exact way to write a duration, for banners and docs ("4h", "7d", "1500ms"). */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit]!
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`
  }
  return `${ms}ms`
}
