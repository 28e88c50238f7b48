import type { EventStatus } from './service-api.js'
import type { ReadModel, RefusalCount, StatusCount } from './storage/storage.js'

/** Latencies read per bucket: percentiles are exact below this many deliveries, estimated above. */
export const LATENCY_SAMPLE = 1_000

/** Buckets counted between two turns of the event loop. */
const YIELD_EVERY = 100

/** A stretch of received events as /admin/stats and the overview both count it. */
export interface Tally {
  received: number
  delivered: number
  failed: number
  /** At the door, or by Perkville at delivery (DAILY_LIMIT_REACHED): nothing to send, not an error. */
  skipped: number
  /** At the door. */
  rejected: number
  /** Pending or in flight. */
  pending: number
  retrying: number
  parked: number
  /** Sent and finished: delivered, or failed after at least one POST (order-rule failures never were). */
  sent: number
  /** Parked after at least one POST: sent and refused (Perkville does not know the perk, say). */
  parkedSent: number
  /** Delivered on their first POST. */
  firstTry: number
  /** Retrying after at least one POST: a first try that failed, whose end is not known yet. */
  retried: number
}

export function emptyTally(): Tally {
  return {
    received: 0,
    delivered: 0,
    failed: 0,
    skipped: 0,
    rejected: 0,
    pending: 0,
    retrying: 0,
    parked: 0,
    sent: 0,
    parkedSent: 0,
    firstTry: 0,
    retried: 0,
  }
}

export function addTally(into: Tally, more: Tally): void {
  for (const key of Object.keys(into) as Array<keyof Tally>) into[key] += more[key]
}

/** The column each status counts in, and the one its sent events (at least one POST) count in. */
const COLUMNS: Record<EventStatus, [count: keyof Tally, sent?: keyof Tally]> = {
  pending: ['pending'],
  in_flight: ['pending'],
  retrying: ['retrying', 'retried'],
  parked: ['parked', 'parkedSent'],
  delivered: ['delivered'],
  failed: ['failed', 'sent'],
  // Perkville's skip at delivery (DAILY_LIMIT_REACHED): with the door's skips, not an error.
  skipped: ['skipped'],
  rejected: ['rejected'],
}

/** Adds a stretch's counts by status and its refusals by kind to `into`. */
export function addCounts(into: Tally, statuses: readonly StatusCount[], refusals: readonly RefusalCount[]) {
  for (const c of statuses) {
    const [column, sent] = COLUMNS[c.status]
    into.received += c.count
    into[column] += c.count
    if (sent !== undefined) into[sent] += c.sent
    if (c.status === 'delivered') {
      into.sent += c.count
      into.firstTry += c.firstTry
    }
  }
  for (const c of refusals) {
    into.received += c.count
    if (c.kind === 'skip') into.skipped += c.count
    else into.rejected += c.count
  }
}

/**
 * Of the events counted, those sent and finished and those delivered on their first POST: first-try
 * deliverability is the second over the first.
 */
export function firstTryShares(counts: readonly StatusCount[]): { sent: number; firstTry: number } {
  const t = emptyTally()
  addCounts(t, counts, [])
  return { sent: t.sent, firstTry: t.firstTry }
}

export interface BucketTally {
  start: number
  tally: Tally
  /** The bucket's refusals by kind and code. */
  refusals: RefusalCount[]
  /** Up to LATENCY_SAMPLE received→accepted latencies of its delivered events. */
  latencies: number[]
}

/**
 * The events received in [from, to) counted bucket by bucket from the store's indexes alone
 * (statusCounts, refusalCounts, latencySample), so the cost grows with the number of buckets, not of
 * events read into memory.
 */
export async function* tallyBuckets(
  storage: Pick<ReadModel, 'statusCounts' | 'refusalCounts' | 'latencySample'>,
  from: number,
  to: number,
  bucketMs: number,
): AsyncIterable<BucketTally> {
  let read = 0
  for (let start = from; start < to; start += bucketMs) {
    // SQLite answers synchronously: a range of thousands of small buckets lets other work run between.
    if (++read % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve))
    const end = Math.min(to, start + bucketMs)
    const tally = emptyTally()
    const refusals = await storage.refusalCounts(start, end)
    addCounts(tally, await storage.statusCounts(start, end), refusals)
    const latencies = tally.delivered > 0 ? await storage.latencySample(start, end, LATENCY_SAMPLE) : []
    yield { start, tally, refusals, latencies }
  }
}
