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
  // A calendar check without building a Date (this runs for every event): no month 13, no 30 February.
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return false
  return Number(m[4]) < 24 && Number(m[5]) < 60 && (m[6] === undefined || Number(m[6]) < 60)
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
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
