export const RANGES: Array<{ key: string; label: string; ms: number }> = [
  { key: '10m', label: 'Last 10 minutes', ms: 10 * 60_000 },
  { key: '1h', label: 'Last hour', ms: 3_600_000 },
  { key: '6h', label: 'Last 6 hours', ms: 6 * 3_600_000 },
  { key: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { key: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { key: '30d', label: 'Last 30 days', ms: 30 * 86_400_000 },
]

/** The range `key` (default 24 h) ending now, in epoch ms; minute-aligned end so both sides agree. */
export function rangeOf(
  key: string | undefined,
  now = Date.now(),
): { from: number; to: number; key: string } {
  const range = RANGES.find((r) => r.key === key) ?? RANGES[3]!
  return { from: now - range.ms, to: now, key: range.key }
}

export const count = (n: number | null | undefined) =>
  n === null || n === undefined ? '–' : n.toLocaleString('en')

/** A count with its noun, in the singular for exactly one ("1 refused event", "2 refused events"). */
export const counted = (n: number, one: string, many = `${one}s`) => `${count(n)} ${n === 1 ? one : many}`

export const share = (part: number, whole: number) =>
  whole > 0 ? `${((100 * part) / whole).toFixed(part === whole || part === 0 ? 0 : 1)}%` : '–'

export const percent = (ratio: number | null | undefined) =>
  ratio === null || ratio === undefined
    ? '–'
    : `${(100 * ratio).toFixed(ratio === 1 || ratio === 0 ? 0 : 1)}%`

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`
  if (ms < 86_400_000) return `${(ms / 3_600_000).toFixed(1)} h`
  return `${(ms / 86_400_000).toFixed(1)} d`
}

/** The browser's locale and zone, the zone named ("7 Dec 2026, 04:18:11 UTC", "Dec 7, 2026, 4:18:11 AM EST"). */
export const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'long' })
/** The same locale for chart axes: a time of day, or a day. */
export const AXIS_TIME = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' })
export const AXIS_DAY = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' })

export function time(iso: string | null | undefined): string {
  if (!iso) return '–'
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? iso : DATE_TIME.format(d)
}

export const json = (value: unknown) => JSON.stringify(value, null, 2)
