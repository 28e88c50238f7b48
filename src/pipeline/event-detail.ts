import { toRecord } from './event-records.js'
import { eventSummary, parsePayload, refusalSummary } from './event-summary.js'
import { perkvillePoints } from './perkville-points.js'
import type { Decision, EventDetail, EventRecord } from './service-api.js'
import type { ReadModel, StoredEvent, StoredRefusal } from './storage/storage.js'

/** One event with what was received, every decision, every attempt and a timeline. */
export async function eventDetail(storage: ReadModel, id: string): Promise<EventDetail | null> {
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
    points: null,
    decisions: [
      {
        at,
        settingsVersion: r.settingsVersion ?? 0,
        outcome: r.kind,
        code: r.code,
        message: r.message,
        transaction: null,
      },
    ],
    attemptLog: [],
    timeline: [
      { at, what: 'received' },
      { at, what: `${r.kind === 'skip' ? 'skipped' : 'rejected'} at the door: ${r.code}` },
    ],
  }
}

/**
 * The decisions of an accepted event, oldest first: the store gives every event at least the one it
 * was accepted under (from its row when no decision rows were written; see acceptDecision).
 */
function acceptedDecisions(record: EventRecord): Decision[] {
  return record.decisions ?? []
}

function acceptedDetail(e: StoredEvent): EventDetail {
  const record = toRecord(e)
  const decisions = acceptedDecisions(record)
  const timeline: EventDetail['timeline'] = [{ at: record.receivedAt, what: 'received and queued' }]
  for (const d of decisions.slice(1)) {
    const why = d.code ? ` (${d.code})` : ''
    timeline.push({
      at: d.at,
      what: `decided again under settings version ${d.settingsVersion}: ${d.outcome}${why}`,
    })
  }
  for (const a of record.attemptLog) {
    timeline.push({ at: a.at, what: `attempt: ${a.outcome}${a.error ? ` (${a.error})` : ''}` })
  }
  if (record.deliveredAt !== null) timeline.push({ at: record.deliveredAt, what: 'delivered' })
  else if (e.status === 'failed') {
    const last = record.attemptLog[record.attemptLog.length - 1]
    timeline.push({ at: last?.at ?? record.receivedAt, what: `failed: ${e.failureReason ?? 'unknown'}` })
  } else if (e.status === 'skipped') {
    const last = record.attemptLog[record.attemptLog.length - 1]
    timeline.push({
      at: last?.at ?? record.receivedAt,
      what: `skipped by Perkville: ${e.failureReason ?? 'nothing to award'} (not an error)`,
    })
  } else if (e.status === 'parked') {
    const last = record.attemptLog[record.attemptLog.length - 1]
    timeline.push({
      at: last?.at ?? record.receivedAt,
      what: `parked: ${e.failureReason ?? 'waiting for a settings fix'}`,
    })
  } else if (e.status === 'retrying' && record.nextAttemptAt !== null) {
    timeline.push({ at: record.nextAttemptAt, what: 'next attempt' })
  }
  // Decisions and attempts interleave in time.
  timeline.sort((a, b) => a.at.localeCompare(b.at))
  return { ...record, ...eventSummary(e), points: perkvillePoints(e), decisions, timeline }
}
