/**
 * Which attempt bodies are kept (issue 26), once for both stores, and how a record shows an attempt
 * whose request was not. An attempt that got its transaction through (delivered, already there, or
 * found by the settling lookup) keeps its time, duration and outcome, and of Perkville's answer only
 * its status and the transaction's id and points (what the console shows of it). The event keeps the
 * transaction it was decided to send, so the request is rebuilt from it. Every other attempt (errors,
 * refusals, lookups that found nothing) keeps its full request and answer.
 */
import { transactionLookupQuery, transactionRequestBody } from '../perkville/wire.js'
import type { AttemptRow, StoredEvent } from './storage/storage.js'

const GOT_THROUGH = new Set(['delivered', 'already_delivered', 'settled_found'])

/** The attempt as a store writes it. */
export function storedAttempt(a: AttemptRow): AttemptRow {
  if (!GOT_THROUGH.has(a.outcome)) return a
  return { ...a, request: null, response: a.response === null ? null : slimAnswer(a.outcome, a.response) }
}

/** A POST's answer is {status, body}; a lookup's is the transaction itself. */
function slimAnswer(outcome: string, response: string): string | null {
  let answer: { status?: unknown; body?: unknown } & Record<string, unknown>
  try {
    answer = JSON.parse(response) ?? {}
  } catch {
    return null
  }
  if (outcome === 'settled_found') return JSON.stringify(transactionFacts(answer))
  return JSON.stringify({ status: answer.status, body: transactionFacts(answer.body) })
}

function transactionFacts(value: unknown): { id?: unknown; points?: unknown } {
  const t = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>
  return { id: t.id, points: t.points }
}

/**
 * The request of an attempt as a record shows it: as stored, or for an attempt that got through,
 * rebuilt from its event (marked so), whose transaction is the one that went out: a later decision
 * would have come before that attempt, under the same lease.
 */
export function shownRequest(
  a: AttemptRow,
  e: Pick<StoredEvent, 'transaction' | 'externalId'>,
): string | null {
  const tx = e.transaction
  if (!GOT_THROUGH.has(a.outcome) || a.request !== null || !tx) return a.request
  const request =
    a.outcome === 'settled_found'
      ? { method: 'GET', lookup: transactionLookupQuery(tx.businessId, e.externalId) }
      : { method: 'POST', body: transactionRequestBody(tx, e.externalId) }
  return JSON.stringify({ ...request, rebuilt: 'from the event: a request that got through is not kept' })
}
