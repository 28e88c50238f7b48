import { refusalFields } from './event-summary.js'
import type { LiveEvent } from './service-api.js'
import type { AcceptBatch, AcceptOutcome, ClaimedEvent, CompletionResult } from './storage/storage.js'

/** What the live feed shows of a batch just stored: each event with the outcome it got. */
export function liveSummaries(batch: AcceptBatch, outcomes: AcceptOutcome[]): LiveEvent[] {
  const out: LiveEvent[] = batch.events.map((ev, i) => {
    const outcome = outcomes[i]
    const byRule = typeof outcome === 'object' ? outcome.orderRule : null
    return {
      id: null,
      receivedAt: new Date(ev.receivedAt).toISOString(),
      status: byRule ? 'failed' : 'pending',
      code: byRule,
      message: null,
      kind: ev.tx.kind,
      eventName: ev.eventName ?? null,
      email: ev.tx.email,
      orderId: ev.tx.orderId,
      messageId: ev.messageId,
      audienceKey: ev.audienceKey ?? null,
      writeKeySource: ev.writeKeySource ?? null,
      userId: ev.userId ?? null,
      anonymousId: ev.anonymousId ?? null,
      quantity: ev.tx.quantity,
      perkId: ev.tx.perkId,
      ...(outcome === 'duplicate' ? { duplicate: true } : {}),
    }
  })
  for (const r of batch.refusals ?? []) out.push({ id: null, ...refusalFields(r) })
  return out
}

/** A delivery's recorded outcome, for the live feed (a release changes nothing and is not shown). */
export function outcomeSummary(claim: ClaimedEvent, r: CompletionResult): LiveEvent[] {
  if (r.status === 'released') return []
  const tx = claim.tx
  return [
    {
      id: claim.id,
      receivedAt: new Date(claim.receivedAt).toISOString(),
      status: r.status,
      code: r.status === 'failed' || r.status === 'skipped' ? r.reason : null,
      message: r.status === 'delivered' ? null : r.error,
      kind: tx.kind,
      eventName: null,
      email: tx.email,
      orderId: tx.orderId,
      messageId: tx.messageId,
      audienceKey: null,
      writeKeySource: null,
      userId: null,
      anonymousId: null,
      quantity: tx.quantity,
      perkId: tx.perkId,
    },
  ]
}
