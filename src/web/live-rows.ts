import type { LiveEvent } from '../pipeline/service-api.js'

/** The live view keeps this many rows, newest first. */
export const LIVE_KEEP = 200

/** A row of the live view: the event's latest state under a key of the page's own. */
export interface LiveRow {
  key: string
  event: LiveEvent
}

const REFUSED: ReadonlySet<string> = new Set(['rejected', 'skipped'])

/**
 * Whether `update` (a delivery outcome, which has the stored id) is the later state of `row`. A
 * stored event is announced first without its id (the accept does not read ids back) and later with
 * it: the messageId ties the two. Refusals and duplicates are never stored, so nothing updates them.
 */
function sameEvent(row: LiveEvent, update: LiveEvent): boolean {
  if (update.id === null) return false
  if (row.id !== null) return row.id === update.id
  return (
    !REFUSED.has(row.status) && !row.duplicate && row.messageId !== null && row.messageId === update.messageId
  )
}

/**
 * `incoming` (oldest first, as the feed sent them) in front of `rows`: every event its own row; an
 * outcome replaces the row of the event it belongs to and moves it to the top, keeping what the
 * earlier state knew and the outcome does not say (the event's name).
 */
export function addLive(rows: LiveRow[], incoming: LiveEvent[], nextKey: () => string): LiveRow[] {
  let out = rows
  for (const event of incoming) {
    const at = out.findIndex((r) => sameEvent(r.event, event))
    if (at < 0) {
      out = [{ key: event.id ?? nextKey(), event }, ...out]
      continue
    }
    const before = out[at]!
    const merged = { ...event, eventName: event.eventName ?? before.event.eventName }
    out = [{ key: before.key, event: merged }, ...out.slice(0, at), ...out.slice(at + 1)]
  }
  return out.slice(0, LIVE_KEEP)
}
