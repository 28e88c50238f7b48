import type { EventStatus, Overview, TimeRange } from './service-api.js'
import { defaultBucketMs, LatencyHistogram } from './stats.js'
import type { StatusCount, Storage } from './storage/storage.js'

/** Latencies read per bucket: percentiles are exact below this many deliveries, estimated above. */
export const LATENCY_SAMPLE = 1_000

/**
 * Of the events counted, those sent (delivered, or failed after at least one POST: order-rule failures
 * never were) and those delivered on their first POST: first-try deliverability is the second over the first.
 */
export function firstTryShares(counts: readonly StatusCount[]): { sent: number; firstTry: number } {
  let sent = 0
  let firstTry = 0
  for (const c of counts) {
    if (c.status === 'delivered') {
      sent += c.count
      firstTry += c.firstTry
    } else if (c.status === 'failed') sent += c.sent
  }
  return { sent, firstTry }
}

type Stage = keyof Overview['funnel']

/** The funnel stage of each stored status that has one of its own; the others (pending, in flight) are pending. */
const STAGE_OF: Partial<Record<EventStatus, Stage>> = {
  retrying: 'retrying',
  parked: 'parked',
  delivered: 'delivered',
  failed: 'failed',
  skipped: 'skipped',
}

/**
 * The line of the chart a stage adds to: delivered, not delivered (failed at delivery or refused at the
 * door), or skipped (Perkville's DAILY_LIMIT_REACHED at delivery, with the door's skips: not an error).
 */
const LINE_OF: Partial<Record<Stage, 'delivered' | 'notDelivered' | 'skipped'>> = {
  delivered: 'delivered',
  failed: 'notDelivered',
  rejected: 'notDelivered',
  skipped: 'skipped',
}

export interface OverviewDeps {
  storage: Storage
  queueDepth: () => number
  now: () => number
}

/**
 * The console overview of the events received in [from, to): the funnel, a series of about 60
 * buckets, latency, deliverability and the queue. Each bucket is counted from the indexes alone
 * (statusCounts, refusalCounts), so the cost grows with the number of buckets, not of events read
 * into memory.
 */
export async function computeOverview(deps: OverviewDeps, range: TimeRange): Promise<Overview> {
  const { storage } = deps
  const from = Math.floor(range.from)
  const to = Math.ceil(range.to)
  if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) {
    throw new RangeError('from and to must be epoch milliseconds, to after from')
  }
  const bucketMs = defaultBucketMs(from, to)
  const funnel = {
    received: 0,
    skipped: 0,
    rejected: 0,
    pending: 0,
    retrying: 0,
    parked: 0,
    delivered: 0,
    failed: 0,
  }
  const series: Overview['series'] = []
  const latency = new LatencyHistogram()
  let sent = 0
  let firstTry = 0
  let retried = 0
  for (let start = from; start < to; start += bucketMs) {
    const end = Math.min(to, start + bucketMs)
    const point = {
      start: new Date(start).toISOString(),
      delivered: 0,
      notDelivered: 0,
      skipped: 0,
      p95Ms: null as number | null,
    }
    const counts = await storage.statusCounts(start, end)
    const shares = firstTryShares(counts)
    sent += shares.sent
    firstTry += shares.firstTry
    const add = (stage: Stage, n: number) => {
      funnel.received += n
      funnel[stage] += n
      const line = LINE_OF[stage]
      if (line) point[line] += n
    }
    for (const c of counts) {
      add(STAGE_OF[c.status] ?? 'pending', c.count)
      // Sent and not accepted: a first try that failed (its end is not known yet).
      if (c.status === 'retrying') retried += c.sent
      // Sent and refused (Perkville does not know the perk, say): not delivered, at the first try or since.
      if (c.status === 'parked') sent += c.sent
    }
    for (const c of await storage.refusalCounts(start, end))
      add(c.kind === 'skip' ? 'skipped' : 'rejected', c.count)
    if (point.delivered > 0) {
      const bucketLatency = new LatencyHistogram()
      for (const ms of await storage.latencySample(start, end, LATENCY_SAMPLE)) {
        bucketLatency.add(ms)
        latency.add(ms)
      }
      point.p95Ms = bucketLatency.percentile(0.95)
    }
    series.push(point)
  }
  const oldest = await storage.oldestWaiting()
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    bucketMs,
    funnel,
    series,
    latencyMs: { p50: latency.percentile(0.5), p95: latency.percentile(0.95) },
    deliverability: {
      firstTry: sent + retried === 0 ? null : firstTry / (sent + retried),
      final: sent === 0 ? null : funnel.delivered / sent,
    },
    queue: {
      depth: deps.queueDepth(),
      oldestWaitingAgeMs: oldest === null ? null : Math.max(0, deps.now() - oldest),
    },
  }
}
