import { isSkipCode } from '../core/types.js'
import type { DeliveryStats, StatsQuery } from './service-api.js'
import type { Storage } from './storage/storage.js'

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
 * Latencies in constant memory: exact to the millisecond below 1 s, then within 1 %. Percentiles
 * from it are the lower edge of the bin the rank falls in.
 */
export class LatencyHistogram {
  private readonly bins = new Map<number, number>()
  count = 0

  add(ms: number): void {
    const v = Math.max(0, Math.round(ms))
    const bin = v < 1_000 ? v : 1_000 + Math.floor(Math.log(v / 1_000) / Math.log(1.01))
    this.bins.set(bin, (this.bins.get(bin) ?? 0) + 1)
    this.count++
  }

  /** Nearest-rank percentile (0 < p ≤ 1); null when empty. */
  percentile(p: number): number | null {
    if (this.count === 0) return null
    const rank = Math.max(1, Math.ceil(p * this.count))
    let seen = 0
    for (const bin of [...this.bins.keys()].sort((a, b) => a - b)) {
      seen += this.bins.get(bin)!
      if (seen >= rank) return bin < 1_000 ? bin : Math.round(1_000 * 1.01 ** (bin - 1_000))
    }
    return null
  }
}

interface Bucket {
  delivered: number
  failed: number
  rejected: number
  skipped: number
  latency: LatencyHistogram
}

/**
 * Range statistics over the events received in [from, to) (a cohort: received = delivered + not
 * delivered + pending + retrying), plus the door's drops in the same minutes.
 */
export async function computeStats(storage: Storage, query: StatsQuery): Promise<DeliveryStats> {
  const { from, to, bucketMs } = validateStatsQuery(query)
  const buckets = new Map<number, Bucket>()
  const bucket = (at: number): Bucket => {
    const b = Math.max(0, Math.floor((at - from) / bucketMs))
    let entry = buckets.get(b)
    if (!entry) {
      entry = { delivered: 0, failed: 0, rejected: 0, skipped: 0, latency: new LatencyHistogram() }
      buckets.set(b, entry)
    }
    return entry
  }
  const latency = new LatencyHistogram()
  const notDelivered: Record<string, number> = {}
  const errorCounts = new Map<string, { count: number; lastId: string | null }>()
  let stored = 0
  let delivered = 0
  let pending = 0
  let retrying = 0
  let parked = 0
  const skipped: Record<string, number> = {}
  const noteError = (reason: string, id: string, hasError: boolean) => {
    const e = errorCounts.get(reason) ?? { count: 0, lastId: null }
    e.count++
    if (hasError) e.lastId = id
    errorCounts.set(reason, e)
  }

  for await (const rows of storage.scanForStats(from, to)) {
    for (const r of rows) {
      stored++
      switch (r.status) {
        case 'delivered': {
          delivered++
          const b = bucket(r.receivedAt)
          b.delivered++
          if (r.latencyMs !== null) {
            latency.add(r.latencyMs)
            b.latency.add(r.latencyMs)
          }
          break
        }
        case 'failed': {
          const reason = r.failureReason ?? 'unknown'
          notDelivered[reason] = (notDelivered[reason] ?? 0) + 1
          bucket(r.receivedAt).failed++
          noteError(reason, r.id, r.hasError)
          break
        }
        case 'retrying':
          retrying++
          if (r.hasError) noteError('retrying', r.id, true)
          break
        case 'skipped': {
          // Perkville's skip (DAILY_LIMIT_REACHED): counted with the door's skips, never as an error.
          const code = r.failureReason ?? 'skipped'
          skipped[code] = (skipped[code] ?? 0) + 1
          bucket(r.receivedAt).skipped++
          break
        }
        case 'parked':
          // Not an error of the event: its message says which setting to fix.
          parked++
          noteError(r.failureReason ?? 'parked', r.id, r.hasError)
          break
        default:
          pending++
      }
    }
  }

  // Door refusals: a reject is an error (not delivered); a skip is nothing to send, counted apart.
  let dropped = 0
  for (const d of await storage.dropCounts(from, to)) {
    dropped += d.count
    if (isSkipCode(d.code)) {
      skipped[d.code] = (skipped[d.code] ?? 0) + d.count
      bucket(d.minute * 60_000).skipped += d.count
    } else {
      notDelivered[d.code] = (notDelivered[d.code] ?? 0) + d.count
      bucket(d.minute * 60_000).rejected += d.count
    }
  }

  const lastIds = [...errorCounts.values()].map((e) => e.lastId).filter((id): id is string => id !== null)
  const messages = lastIds.length > 0 ? await storage.lastErrors(lastIds) : new Map<string, string | null>()
  const errors = [...errorCounts.entries()]
    .map(([reason, e]) => ({
      reason,
      count: e.count,
      lastMessage: e.lastId === null ? null : (messages.get(e.lastId) ?? null),
    }))
    .sort((a, b) => b.count - a.count)

  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    received: stored + dropped,
    delivered,
    notDelivered,
    skipped,
    pending,
    retrying,
    parked,
    latencyMs: { p50: latency.percentile(0.5), p95: latency.percentile(0.95) },
    buckets: [...buckets.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([b, v]) => ({
        start: new Date(from + b * bucketMs).toISOString(),
        delivered: v.delivered,
        failed: v.failed,
        rejected: v.rejected,
        skipped: v.skipped,
        p95Ms: v.latency.percentile(0.95),
      })),
    errors,
  }
}
