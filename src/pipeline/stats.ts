import { addTally, emptyTally, tallyBuckets } from './range-tally.js'
import type { DeliveryStats, EventStatus, StatsQuery } from './service-api.js'
import type { ReadModel } from './storage/storage.js'

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

/** One reason in `errors`: its count, and which events to read its newest message from. */
interface ErrorEntry {
  count: number
  of: Array<{ status: EventStatus; code: string | null }>
}

/**
 * Range statistics over the events received in [from, to) (a cohort: received = delivered + not
 * delivered + pending + retrying + parked + skipped), door refusals included, counted from the same
 * index queries as the console overview (range-tally.ts); buckets without an outcome are left out.
 */
export async function computeStats(storage: ReadModel, query: StatsQuery): Promise<DeliveryStats> {
  const { from, to, bucketMs } = validateStatsQuery(query)
  const iso = (at: number) => new Date(at).toISOString()
  const total = emptyTally()
  const latency = new LatencyHistogram()
  const notDelivered: Record<string, number> = {}
  const skipped: Record<string, number> = {}
  const add = (into: Record<string, number>, code: string, n: number) => {
    into[code] = (into[code] ?? 0) + n
  }
  const buckets: DeliveryStats['buckets'] = []
  for await (const { start, tally, refusals, latencies } of tallyBuckets(storage, from, to, bucketMs)) {
    addTally(total, tally)
    // A door reject is an error (not delivered); a skip is nothing to send, counted apart.
    for (const r of refusals) add(r.kind === 'skip' ? skipped : notDelivered, r.code, r.count)
    const bucketLatency = new LatencyHistogram()
    for (const ms of latencies) {
      bucketLatency.add(ms)
      latency.add(ms)
    }
    const { delivered, failed, rejected } = tally
    if (delivered + failed + rejected + tally.skipped === 0) continue
    buckets.push({
      start: iso(start),
      delivered,
      failed,
      rejected,
      skipped: tally.skipped,
      p95Ms: bucketLatency.percentile(0.95),
    })
  }

  const errors = new Map<string, ErrorEntry>()
  const noteError = (reason: string, count: number, status: EventStatus, code: string | null) => {
    const e = errors.get(reason) ?? { count: 0, of: [] }
    e.count += count
    e.of.push({ status, code })
    errors.set(reason, e)
  }
  for (const f of await storage.failureCounts(from, to)) {
    if (f.status === 'skipped') {
      // Perkville's skip (DAILY_LIMIT_REACHED): counted with the door's skips, never as an error.
      add(skipped, f.reason ?? 'skipped', f.count)
    } else if (f.status === 'failed') {
      add(notDelivered, f.reason ?? 'unknown', f.count)
      noteError(f.reason ?? 'unknown', f.count, 'failed', f.reason)
    } else {
      // Not an error of the event: its message says which setting to fix.
      noteError(f.reason ?? 'parked', f.count, 'parked', f.reason)
    }
  }
  if (total.retrying > 0) noteError('retrying', total.retrying, 'retrying', null)

  const listed: DeliveryStats['errors'] = []
  for (const [reason, e] of errors)
    listed.push({ reason, count: e.count, lastMessage: await newestError(storage, from, to, e) })
  listed.sort((a, b) => b.count - a.count)

  return {
    from: iso(from),
    to: iso(to),
    received: total.received,
    delivered: total.delivered,
    notDelivered,
    skipped,
    pending: total.pending,
    retrying: total.retrying,
    parked: total.parked,
    latencyMs: { p50: latency.percentile(0.5), p95: latency.percentile(0.95) },
    buckets,
    errors: listed,
  }
}

/** The last error of the newest event counted under one reason (a search per status it spans). */
async function newestError(
  storage: ReadModel,
  from: number,
  to: number,
  e: ErrorEntry,
): Promise<string | null> {
  let newest: { at: number; message: string | null } | null = null
  for (const { status, code } of e.of) {
    // Only a retrying event is counted without a reason; a null one is not searchable by code.
    if (code === null && status !== 'retrying') continue
    const [hit] = await storage.search({ from, to, status, ...(code === null ? {} : { code }), limit: 1 })
    const event = hit?.event
    if (event && (newest === null || event.receivedAt > newest.at))
      newest = { at: event.receivedAt, message: event.lastError }
  }
  return newest?.message ?? null
}
