import { decodeCursor, encodeCursor, toRecord } from './event-records.js'
import { ORDER_RULE_REASONS } from './failure-reasons.js'
import type { QueueDepth } from './queue-depth.js'
import { type DeliveryService, EVENT_STATUSES, EVENTS_PAGE, type EventQuery } from './service-api.js'
import { computeStats } from './stats.js'
import type { Storage } from './storage/storage.js'

export interface AdminDeps {
  storage: Storage
  depth: QueueDepth
  now: () => number
  /** Failed events were queued again: claim them. */
  wake: () => void
}

type AdminOperations = Pick<
  DeliveryService,
  'stats' | 'listEvents' | 'getEvent' | 'retryEvent' | 'replayFailed' | 'releaseParked'
>

/** What an operator asks of the queue: stats, event search, retry and replay. */
export function createAdminOperations({ storage, depth, now, wake }: AdminDeps): AdminOperations {
  const requeued = (n: number) => {
    if (n === 0) return
    depth.add(n)
    wake()
  }
  return {
    stats: (query) => computeStats(storage, query),

    async listEvents(query: EventQuery) {
      const limit = Math.min(Math.max(Math.floor(query.limit ?? EVENTS_PAGE.default), 1), EVENTS_PAGE.max)
      if (query.status !== undefined && !EVENT_STATUSES.includes(query.status)) {
        throw new RangeError(`status must be one of ${EVENT_STATUSES.join(', ')}`)
      }
      const rows = await storage.listEvents({
        limit: limit + 1,
        ...(query.status !== undefined ? { status: query.status } : {}),
        ...(query.email !== undefined ? { customerKey: query.email.trim().toLowerCase() } : {}),
        ...(query.messageId !== undefined ? { messageId: query.messageId } : {}),
        ...(query.orderId !== undefined ? { orderId: query.orderId } : {}),
        ...(Number.isFinite(query.from) ? { from: query.from } : {}),
        ...(Number.isFinite(query.to) ? { to: query.to } : {}),
        ...(query.cursor !== undefined ? { beforeId: decodeCursor(query.cursor) } : {}),
      })
      const page = rows.slice(0, limit)
      const last = page[page.length - 1]
      return {
        events: page.map(toRecord),
        nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null,
      }
    },

    async getEvent(id) {
      const row = await storage.getEvent(id)
      return row ? toRecord(row) : null
    },

    async retryEvent(id) {
      const ok = await storage.retry(id, now())
      requeued(ok ? 1 : 0)
      return ok
    },

    async releaseParked() {
      const n = await storage.unpark(now(), Number.MAX_SAFE_INTEGER)
      requeued(n)
      return n
    },

    async replayFailed(range) {
      if (!Number.isFinite(range.from) || !Number.isFinite(range.to) || range.to <= range.from) {
        throw new RangeError('replay needs a time range: from and to in epoch milliseconds, to after from')
      }
      const n = await storage.replayFailed(
        {
          from: range.from,
          to: range.to,
          reasons: range.reason !== undefined ? [range.reason] : null,
          excludeReasons: [...ORDER_RULE_REASONS],
        },
        now(),
      )
      requeued(n)
      return n
    },
  }
}
