import type { DeliveryStats, StatsQuery } from './service-api.js'
import type { RawStats } from './storage/storage.js'

const NICE_BUCKETS_MS = [
  1_000, 5_000, 10_000, 30_000, 60_000, 300_000, 900_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000,
  43_200_000, 86_400_000,
]

/** About 60 buckets over the range, at a size people read easily. */
export function defaultBucketMs(from: number, to: number): number {
  const target = Math.max(1, to - from) / 60
  return NICE_BUCKETS_MS.find((b) => b >= target) ?? NICE_BUCKETS_MS[NICE_BUCKETS_MS.length - 1]!
}

export function validateStatsQuery(q: StatsQuery): { from: number; to: number; bucketMs: number } {
  if (!Number.isFinite(q.from) || !Number.isFinite(q.to))
    throw new RangeError('from and to must be epoch milliseconds')
  if (q.to <= q.from) throw new RangeError('to must be after from')
  let bucketMs = q.bucketMs ?? defaultBucketMs(q.from, q.to)
  if (!Number.isFinite(bucketMs) || bucketMs < 1_000) bucketMs = 1_000
  // Never more than ~10k buckets, whatever the caller asked.
  bucketMs = Math.max(Math.floor(bucketMs), Math.ceil((q.to - q.from) / 10_000))
  return { from: Math.floor(q.from), to: Math.ceil(q.to), bucketMs }
}

/**
 * Shapes the storage's aggregates into the operator's view. Counts are for the events received in
 * the range (a cohort): received = delivered + not delivered + pending + retrying.
 */
export function shapeStats(range: { from: number; to: number }, raw: RawStats): DeliveryStats {
  const notDelivered: Record<string, number> = { ...raw.dropsByCode }
  for (const [reason, n] of Object.entries(raw.failedByReason))
    notDelivered[reason] = (notDelivered[reason] ?? 0) + n
  const dropped = Object.values(raw.dropsByCode).reduce((a, b) => a + b, 0)
  return {
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
    received: raw.stored + dropped,
    delivered: raw.delivered,
    notDelivered,
    pending: raw.pending,
    retrying: raw.retrying,
    latencyMs: raw.latency,
    buckets: raw.buckets.map((b) => ({
      start: new Date(b.start).toISOString(),
      delivered: b.delivered,
      failed: b.failed,
      dropped: b.dropped,
      p95Ms: b.p95Ms,
    })),
    errors: raw.errors,
  }
}
