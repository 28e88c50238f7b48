/**
 * Calendar days in a business's time zone: what Perkville's `limit_to_once_per_calendar_day` counts
 * in. Formatters are costly to make and few (one per zone), so they are kept.
 */
const formats = new Map<string, Intl.DateTimeFormat>()

function format(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone)
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })
    formats.set(timeZone, f)
  }
  return f
}

/** The day `at` (epoch ms) falls on in `timeZone`, as YYYY-MM-DD. */
export function calendarDay(at: number, timeZone: string): string {
  const parts = Object.fromEntries(
    format(timeZone)
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  )
  return `${parts.year}-${parts.month}-${parts.day}`
}

/** True for a time zone name the platform knows (IANA, such as America/New_York, or UTC). */
export function isTimeZone(name: string): boolean {
  try {
    format(name)
    return true
  } catch {
    return false
  }
}
