import { shownRequest } from './attempt-bodies.js'
import type { AttemptRecord, DecisionRecord, EventRecord } from './service-api.js'
import type { AttemptRow, DecisionRow, StoredEvent } from './storage/storage.js'

/** Stored rows as the admin API shows them: ISO times, JSON parsed back. */
export function toRecord(e: StoredEvent): EventRecord {
  return {
    id: e.id,
    messageId: e.messageId,
    externalId: e.externalId,
    email: e.email,
    orderId: e.orderId,
    perkId: e.perkId,
    quantity: e.quantity,
    requestedQuantity: e.requestedQuantity,
    kind: e.kind,
    status: e.status,
    failureReason: e.failureReason,
    lastError: e.lastError,
    attempts: e.attempts,
    receivedAt: new Date(e.receivedAt).toISOString(),
    nextAttemptAt: e.status === 'pending' || e.status === 'retrying' ? iso(e.nextAttemptAt) : null,
    deliveredAt: iso(e.deliveredAt),
    outcomeUnknown: e.unknown,
    payload: parseJson(e.payload),
    attemptLog: e.attemptLog.map((a) => toAttemptRecord({ ...a, request: shownRequest(a, e) })),
    // One event's record (not a list's) carries its decisions: an empty list here would say "none".
    ...(e.decisions.length > 0 ? { decisions: e.decisions.map(toDecisionRecord) } : {}),
  }
}

function toDecisionRecord(d: DecisionRow): DecisionRecord {
  return {
    at: new Date(d.at).toISOString(),
    settingsVersion: d.settingsVersion,
    outcome: d.outcome,
    code: d.code,
    message: d.message,
    transaction: parseJson(d.transaction),
  }
}

function toAttemptRecord(a: AttemptRow): AttemptRecord {
  return {
    at: new Date(a.at).toISOString(),
    durationMs: a.durationMs,
    outcome: a.outcome,
    request: parseJson(a.request),
    response: parseJson(a.response),
    error: a.error,
  }
}

function parseJson(text: string | null): unknown {
  if (text === null) return null
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString()
}
