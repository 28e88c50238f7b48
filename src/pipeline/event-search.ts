import { decodeSearchCursor, encodeSearchCursor, hitPosition, listItem } from './event-summary.js'
import type { EventListItem, EventSearch } from './service-api.js'
import { EVENT_STATUSES, EVENTS_PAGE } from './service-api.js'
import type { ReadModel, SearchFilter, SearchHit } from './storage/storage.js'

/** The store's filter for a console search (cursor decoded, email lower-cased, limit capped). */
export function searchFilter(query: EventSearch, limit: number): SearchFilter {
  if (query.status !== undefined && !EVENT_STATUSES.includes(query.status)) {
    throw new RangeError(`status must be one of ${EVENT_STATUSES.join(', ')}`)
  }
  return {
    limit,
    ...(query.q !== undefined ? { q: query.q } : {}),
    ...(query.email !== undefined ? { customerKey: query.email.trim().toLowerCase() } : {}),
    ...(query.messageId !== undefined ? { messageId: query.messageId } : {}),
    ...(query.orderId !== undefined ? { orderId: query.orderId } : {}),
    ...(query.status !== undefined ? { status: query.status } : {}),
    ...(query.code !== undefined ? { code: query.code } : {}),
    ...(query.kind !== undefined ? { kind: query.kind } : {}),
    ...(Number.isFinite(query.from) ? { from: query.from } : {}),
    ...(Number.isFinite(query.to) ? { to: query.to } : {}),
    ...(query.cursor !== undefined ? { after: decodeSearchCursor(query.cursor) } : {}),
  }
}

/** One page of a console search, newest first, with the cursor of the next one. */
export async function searchEvents(
  storage: ReadModel,
  query: EventSearch,
): Promise<{ events: EventListItem[]; nextCursor: string | null }> {
  const limit = Math.min(Math.max(Math.floor(query.limit ?? EVENTS_PAGE.default), 1), EVENTS_PAGE.max)
  const hits = await storage.search(searchFilter(query, limit + 1))
  const page = hits.slice(0, limit)
  const last = page[page.length - 1]
  return {
    events: page.map(listItem),
    nextCursor: hits.length > limit && last ? encodeSearchCursor(hitPosition(last)) : null,
  }
}

/** Every hit of a search, page by page (for replays), up to `max`. */
export async function* allHits(
  storage: ReadModel,
  filter: SearchFilter,
  max: number,
): AsyncGenerator<SearchHit> {
  let seen = 0
  let after = filter.after
  for (;;) {
    const page = await storage.search({ ...filter, limit: EVENTS_PAGE.max, ...(after ? { after } : {}) })
    for (const hit of page) {
      if (seen++ >= max) return
      yield hit
    }
    const last = page[page.length - 1]
    if (page.length < EVENTS_PAGE.max || !last) return
    after = hitPosition(last)
  }
}
