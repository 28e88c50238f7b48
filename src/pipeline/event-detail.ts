import type { Decision, EventDetail } from './console-api.js'
import { toRecord } from './event-records.js'
import { eventSummary, parsePayload, refusalSummary } from './event-summary.js'
import type { Storage, StoredEvent, StoredRefusal } from './storage/storage.js'

/** One event with what was received, every decision, every attempt and a timeline. */
export async function eventDetail(storage: Storage, id: string): Promise<EventDetail | null> {
  if (id.startsWith('r')) {
    const refusal = await storage.getRefusal(id)
    return refusal ? refusalDetail(refusal) : null
  }
  const event = await storage.getEvent(id)
  return event ? acceptedDetail(event) : null
}

function refusalDetail(r: StoredRefusal): EventDetail {
  const at = new Date(r.receivedAt).toISOString()
  return {
    ...refusalSummary(r),
    payload: parsePayload(r.payload),
    decisions: [
      { at, settingsVersion: null, outcome: r.kind, code: r.code, message: r.message, transaction: null },
    ],
    attemptLog: [],
    timeline: [
      { at, what: 'received' },
      { at, what: `${r.kind === 'skip' ? 'skipped' : 'rejected'} at the door: ${r.code}` },
    ],
  }
}

/**
 * The decisions of an accepted event. Until decisions are stored per event (the settings work adds
 * them), the one made at the door is rebuilt from the stored transaction: queued, or failed at once
 * by an order rule.
 */
export function acceptedDecisions(e: StoredEvent): Decision[] {
  const at = new Date(e.receivedAt).toISOString()
  const byRule = e.status === 'failed' && e.attempts === 0 && e.attemptLog.length === 0
  return [
    {
      at,
      settingsVersion: null,
      outcome: byRule ? 'fail' : 'queue',
      code: byRule ? e.failureReason : null,
      message: byRule ? e.lastError : null,
      transaction: e.transaction ?? null,
    },
  ]
}

function acceptedDetail(e: StoredEvent): EventDetail {
  const record = toRecord(e)
  const timeline: EventDetail['timeline'] = [{ at: record.receivedAt, what: 'received and queued' }]
  for (const a of record.attemptLog) {
    timeline.push({ at: a.at, what: `attempt: ${a.outcome}${a.error ? ` (${a.error})` : ''}` })
  }
  if (record.deliveredAt !== null) timeline.push({ at: record.deliveredAt, what: 'delivered' })
  else if (e.status === 'failed') {
    const last = record.attemptLog[record.attemptLog.length - 1]
    timeline.push({ at: last?.at ?? record.receivedAt, what: `failed: ${e.failureReason ?? 'unknown'}` })
  } else if (e.status === 'retrying' && record.nextAttemptAt !== null) {
    timeline.push({ at: record.nextAttemptAt, what: 'next attempt' })
  }
  return { ...record, ...eventSummary(e), decisions: acceptedDecisions(e), timeline }
}
