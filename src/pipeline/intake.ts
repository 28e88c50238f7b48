import type { Destination } from './destination.js'
import { atTheDoor, type DoorVerdict, type DropLog } from './door.js'
import { eventFields } from './event-fields.js'
import { ORDER_RULE_WORDS } from './failure-reasons.js'
import { createGroupCommit } from './group-commit.js'
import type { LiveEvents } from './live-events.js'
import { liveSummaries } from './live-summary.js'
import type { PipelineMetrics } from './metrics.js'
import type { DeliveryPolicy } from './options.js'
import { decideOrder } from './order-rules.js'
import type { QueueDepth } from './queue-depth.js'
import type { AcceptResult, IncomingEvent } from './service-api.js'
import type { AcceptBatch, AcceptOutcome, QueueStore } from './storage/storage.js'
import type { WriteHealth } from './write-health.js'

export interface IntakeDeps {
  storage: QueueStore
  destination: Destination
  drops: DropLog
  metrics: PipelineMetrics
  depth: QueueDepth
  policy: DeliveryPolicy
  now: () => number
  /** New work is queued: claim it. */
  wake: () => void
  /** How many claims the wake would start right now (free delivery slots). */
  spare?: () => number
  /** Told whether each commit worked (readiness, releasing held claims). */
  writes: WriteHealth
  /** The live feed, told of every event stored. */
  live?: LiveEvents
}

/**
 * The way in: each event is decided at the door, then the ones to deliver are stored durably in one
 * group commit with the others arriving at the same time. accept() resolves once they are stored.
 */
export function createIntake(deps: IntakeDeps) {
  const { storage, policy, metrics, now } = deps
  const rules = { oneAwardPerOrder: policy.oneAwardPerOrder, capRefunds: policy.capRefunds }
  const commit = createGroupCommit<AcceptBatch, AcceptOutcome[]>(
    (batches, ready) =>
      storage.accept(batches, {
        now: now(),
        dedupSince: now() - policy.dedupWindowMs,
        orderRule: (tx, ledger) => decideOrder(rules, tx, ledger),
        ...(deps.spare ? { selfClaims: deps.spare } : {}),
        locked: ready,
      }),
    { atOnce: storage.acceptsAtOnce },
  )

  async function accept(events: IncomingEvent[]): Promise<AcceptResult> {
    const batch: AcceptBatch = { events: [], refusals: [] }
    const bySource = new Map<string, number>()
    const skippedByCode = new Map<string, number>()
    const rejectedByCode = new Map<string, number>()
    // Where each refused event, and each one stored, was in the request (for /v1/import's answer).
    const refusals: NonNullable<AcceptResult['refusals']> = []
    const storedAt: number[] = []
    for (const [index, given] of events.entries()) {
      // A receive time the server failed to set must not cost the event.
      const incoming = Number.isFinite(given.receivedAt) ? given : { ...given, receivedAt: now() }
      bySource.set(incoming.source, (bySource.get(incoming.source) ?? 0) + 1)
      const verdict = decide(deps.destination, incoming)
      if (verdict.kind === 'queue') {
        batch.events.push({ ...verdict.event, settingsVersion: deps.destination.version })
        storedAt.push(index)
      } else {
        const at = incoming.receivedAt
        deps.drops.record(at, verdict)
        batch.refusals!.push({
          ...verdict,
          receivedAt: at,
          source: incoming.source,
          writeKeySource: incoming.writeKeySource ?? null,
          settingsVersion: deps.destination.version,
        })
        if (verdict.kind === 'reject') refusals.push({ index, code: verdict.code, message: verdict.message })
        const counts = verdict.kind === 'skip' ? skippedByCode : rejectedByCode
        counts.set(verdict.code, (counts.get(verdict.code) ?? 0) + 1)
      }
    }
    for (const [source, n] of bySource) metrics.received.inc({ source }, n)
    for (const [code, n] of rejectedByCode) metrics.rejected.inc({ code }, n)
    for (const [code, n] of skippedByCode) metrics.skipped.inc({ code }, n)
    const skipped = sum(skippedByCode)
    const rejected = sum(rejectedByCode)
    if (batch.events.length === 0 && batch.refusals!.length === 0)
      return { queued: 0, duplicates: 0, skipped: 0, rejected: 0, dropped: 0, refusals }
    let outcomes: AcceptOutcome[]
    try {
      outcomes = await commit.submit(batch)
    } catch (err) {
      deps.writes.failed(err)
      throw err
    }
    deps.writes.succeeded()
    let queued = 0
    let duplicates = 0
    let byRule = 0
    outcomes.forEach((outcome, i) => {
      if (outcome === 'queued') queued++
      else if (outcome === 'duplicate') duplicates++
      else {
        byRule++
        const reason = outcome.orderRule
        metrics.failed.inc({ reason })
        refusals.push({ index: storedAt[i]!, code: reason, message: ORDER_RULE_WORDS[reason] })
      }
    })
    if (queued > 0) {
      deps.depth.add(queued)
      metrics.queued.inc(queued)
      deps.wake()
    }
    if (duplicates > 0) metrics.duplicates.inc(duplicates)
    if (deps.live?.watched) deps.live.publish(liveSummaries(batch, outcomes))
    refusals.sort((a, b) => a.index - b.index)
    return { queued, duplicates, skipped, rejected, dropped: skipped + rejected + byRule, refusals }
  }

  return { accept, drain: () => commit.drain() }
}

function decide(destination: Destination, incoming: IncomingEvent): DoorVerdict {
  try {
    return atTheDoor(destination.settings, incoming)
  } catch (err) {
    // Never expected (the rules do not throw), but one odd event must not fail its batch.
    return {
      kind: 'reject',
      code: 'INVALID_EVENT',
      message: `the event could not be read: ${err instanceof Error ? err.message : String(err)}`,
      ...eventFields(null),
      payload: 'null',
    }
  }
}

function sum(counts: Map<string, number>): number {
  let total = 0
  for (const n of counts.values()) total += n
  return total
}
