import { addTally, emptyTally, tallyBuckets } from './range-tally.js'
import type { Overview, TimeRange } from './service-api.js'
import { defaultBucketMs, LatencyHistogram } from './stats.js'
import type { ReadModel } from './storage/storage.js'

export interface OverviewDeps {
  storage: ReadModel
  queueDepth: () => number
  now: () => number
}

/**
 * The console overview of the events received in [from, to): the funnel, a series of about 60
 * buckets, latency, deliverability and the queue, counted as /admin/stats counts (range-tally.ts).
 */
export async function computeOverview(deps: OverviewDeps, range: TimeRange): Promise<Overview> {
  const { storage } = deps
  const from = Math.floor(range.from)
  const to = Math.ceil(range.to)
  if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) {
    throw new RangeError('from and to must be epoch milliseconds, to after from')
  }
  const bucketMs = defaultBucketMs(from, to)
  const total = emptyTally()
  const series: Overview['series'] = []
  const latency = new LatencyHistogram()
  for await (const { start, tally, latencies } of tallyBuckets(storage, from, to, bucketMs)) {
    addTally(total, tally)
    const bucketLatency = new LatencyHistogram()
    for (const ms of latencies) {
      bucketLatency.add(ms)
      latency.add(ms)
    }
    series.push({
      start: new Date(start).toISOString(),
      delivered: tally.delivered,
      notDelivered: tally.failed + tally.rejected,
      skipped: tally.skipped,
      p95Ms: bucketLatency.percentile(0.95),
    })
  }
  const oldest = await storage.oldestWaiting()
  const sent = total.sent + total.parkedSent
  const { received, skipped, rejected, pending, retrying, parked, delivered, failed } = total
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    bucketMs,
    funnel: { received, skipped, rejected, pending, retrying, parked, delivered, failed },
    series,
    latencyMs: { p50: latency.percentile(0.5), p95: latency.percentile(0.95) },
    deliverability: {
      firstTry: sent + total.retried === 0 ? null : total.firstTry / (sent + total.retried),
      final: sent === 0 ? null : delivered / sent,
    },
    queue: {
      depth: deps.queueDepth(),
      oldestWaitingAgeMs: oldest === null ? null : Math.max(0, deps.now() - oldest),
    },
  }
}
