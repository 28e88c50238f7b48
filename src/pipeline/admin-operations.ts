import { ORDER_RULE_REASONS } from './failure-reasons.js'
import type { QueueDepth } from './queue-depth.js'
import type { DeliveryService } from './service-api.js'
import { computeStats } from './stats.js'
import type { QueueStore, ReadModel } from './storage/storage.js'

export interface AdminDeps {
  storage: QueueStore & ReadModel
  depth: QueueDepth
  now: () => number
  /** Failed events were queued again: claim them. */
  wake: () => void
}

type AdminOperations = Pick<DeliveryService, 'stats' | 'retryEvent' | 'replayFailed' | 'releaseParked'>

/** What an operator asks of the queue: stats, retry and replay. */
export function createAdminOperations({ storage, depth, now, wake }: AdminDeps): AdminOperations {
  const requeued = (n: number) => {
    if (n === 0) return
    depth.add(n)
    wake()
  }
  return {
    stats: (query) => computeStats(storage, query),

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
