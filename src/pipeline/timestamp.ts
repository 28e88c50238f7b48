/**
 * An event's `timestamp` becomes the transaction's date at Perkville, which refuses anything but an
 * ISO 8601 date-time, permanently — and a retry would resend it unchanged. So at the door a value
 * that is not one is replaced by the receive time, and the stored event keeps what was given. So is
 * a date too far in the future: points dated next year are a client's clock or a bug, not a plan.
 */

/**
 * How far ahead of the receive time a timestamp may be. A day covers any time zone written wrongly
 * (at most 14 h) and a client clock that is off; beyond it the date cannot be what happened.
 */
export const MAX_FUTURE_TIMESTAMP_MS = 24 * 60 * 60 * 1000

/** Date and time, optional seconds and fraction, optional zone: what Perkville parses. */
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?$/

export function isIsoDateTime(value: unknown): boolean {
  return isoMatch(value) !== null
}

function isoMatch(value: unknown): RegExpExecArray | null {
  if (typeof value !== 'string') return null
  const m = ISO_DATE_TIME.exec(value)
  if (m === null) return null
  // A calendar check without building a Date (this runs for every event): no month 13, no 30 February.
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return null
  const valid = Number(m[4]) < 24 && Number(m[5]) < 60 && (m[6] === undefined || Number(m[6]) < 60)
  return valid ? m : null
}

/** The latest instant a matched date-time can mean: a value without a zone is read as UTC−12. */
function latestMs(m: RegExpExecArray): number {
  const [, y, mo, d, h, mi, sec] = m
  const local = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec ?? 0))
  const zone = /(?:([Zz])|([+-])(\d{2}):?(\d{2})?)$/.exec(m[0].slice(16))
  if (zone === null) return local + 12 * 3_600_000
  if (zone[1] !== undefined) return local
  const offset = (Number(zone[3]) * 60 + Number(zone[4] ?? 0)) * 60_000
  return zone[2] === '+' ? local - offset : local + offset
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
 * Sets `event.timestamp` to `receivedIso` when missing (as before), not an ISO 8601 date-time, or
 * more than MAX_FUTURE_TIMESTAMP_MS after `receivedIso`; in the last two cases the given value and
 * the reason are kept in `event.timestampReplaced`.
 */
export function settleTimestamp(event: Record<string, unknown>, receivedIso: string): void {
  const given = event.timestamp
  if (given === undefined || given === null || given === '') {
    event.timestamp = receivedIso
    return
  }
  const m = isoMatch(given)
  let reason: string
  if (m === null) reason = 'not an ISO 8601 date-time'
  else if (latestMs(m) - Date.parse(receivedIso) > MAX_FUTURE_TIMESTAMP_MS)
    reason = 'more than 24 hours after it was received'
  else return
  event.timestamp = receivedIso
  event.timestampReplaced = {
    given,
    reason: `${reason}: the receive time (receivedAt) was sent to Perkville instead`,
  } satisfies TimestampReplaced
}
