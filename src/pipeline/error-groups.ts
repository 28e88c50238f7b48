import { suggestedAction } from './error-actions.js'
import { hitSummary } from './event-summary.js'
import type { ErrorGroup, TimeRange } from './service-api.js'
import type { ReadModel } from './storage/storage.js'

const SAMPLES = 3

/**
 * The errors of a range grouped by reason (failed and parked deliveries) and by code (door rejects),
 * with the count of the range before for comparison, what to do, and a few samples. Skips are
 * not errors and are not here.
 */
export async function computeErrorGroups(
  storage: ReadModel,
  range: TimeRange,
): Promise<{ groups: ErrorGroup[] }> {
  const { from, to } = range
  if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) {
    throw new RangeError('from and to must be epoch milliseconds, to after from')
  }
  const before = { from: from - (to - from), to: from }
  const counts = async (r: TimeRange) => {
    const out = new Map<string, { kind: ErrorGroup['kind']; code: string; count: number }>()
    const add = (kind: ErrorGroup['kind'], code: string, n: number) => {
      const key = `${kind}\u0000${code}`
      const entry = out.get(key) ?? { kind, code, count: 0 }
      entry.count += n
      out.set(key, entry)
    }
    for (const f of await storage.failureCounts(r.from, r.to)) {
      // Perkville's skip (DAILY_LIMIT_REACHED) is nothing to send, not an error.
      if (f.status !== 'skipped')
        add(f.status === 'parked' ? 'parked' : 'failure', f.reason ?? 'unknown', f.count)
    }
    for (const c of await storage.refusalCounts(r.from, r.to))
      if (c.kind === 'reject') add('reject', c.code, c.count)
    return out
  }
  const now = await counts(range)
  const previous = await counts(before)
  const groups: ErrorGroup[] = []
  for (const [key, g] of now) {
    const hits = await storage.search({
      limit: SAMPLES,
      from,
      to,
      code: g.code,
      status: g.kind === 'reject' ? 'rejected' : g.kind === 'parked' ? 'parked' : 'failed',
    })
    groups.push({
      kind: g.kind,
      code: g.code,
      reason: g.code,
      count: g.count,
      previousCount: previous.get(key)?.count ?? 0,
      action: suggestedAction(g.kind, g.code),
      samples: hits.map(hitSummary).map((s) => ({
        id: s.id,
        at: s.receivedAt,
        email: s.email,
        eventName: s.eventName,
        message: s.message,
      })),
    })
  }
  groups.sort((a, b) => b.count - a.count || a.code.localeCompare(b.code))
  return { groups }
}
