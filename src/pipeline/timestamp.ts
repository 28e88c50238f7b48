/**
 * An event's `timestamp` becomes the transaction's date at Perkville, which refuses anything but an
 * ISO 8601 date-time, permanently — and a retry would resend it unchanged. So at the door a value
 * that is not one is replaced by the receive time, and the stored event keeps what was given.
 */

/** Date and time, optional seconds and fraction, optional zone: what Perkville parses. */
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?$/

export function isIsoDateTime(value: unknown): boolean {
  if (typeof value !== 'string') return false
  const m = ISO_DATE_TIME.exec(value)
  if (m === null) return false
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((part) => Number(part ?? 0)) as number[]
  // Calendar check without time zones: day 31 of a 30-day month, hour 25 and the like are not dates.
  const probe = new Date(Date.UTC(year!, month! - 1, day!, hour!, minute!, second!))
  return (
    probe.getUTCFullYear() === year &&
    probe.getUTCMonth() === month! - 1 &&
    probe.getUTCDate() === day &&
    probe.getUTCHours() === hour &&
    probe.getUTCMinutes() === minute &&
    probe.getUTCSeconds() === second
  )
}

/** What the stored event says when its timestamp was replaced. */
export interface TimestampReplaced {
  given: unknown
  reason: string
}

/**
 * Sets `event.timestamp` to `receivedIso` when missing (as before) or not an ISO 8601 date-time; in
 * the second case the given value is kept in `event.timestampReplaced`.
 */
export function settleTimestamp(event: Record<string, unknown>, receivedIso: string): void {
  const given = event.timestamp
  if (given === undefined || given === null || given === '') {
    event.timestamp = receivedIso
    return
  }
  if (isIsoDateTime(given)) return
  event.timestamp = receivedIso
  event.timestampReplaced = {
    given,
    reason: 'not an ISO 8601 date-time: the receive time (receivedAt) was sent to Perkville instead',
  } satisfies TimestampReplaced
}
