import { DAILY_LIMIT_REACHED, type Transaction } from '../core/types.js'
import { boundErrorText } from '../perkville/bounded-body.js'
import type { PerkvilleClient, TransactionAttempt } from '../perkville/client-api.js'
import { classifyTransportError } from '../perkville/wire.js'
import { type BackoffOptions, retryDelayMs } from './backoff.js'
import { cannotSettle, type Parking, parkingFor } from './parking.js'
import { scrub, scrubbedJson } from './redact.js'
import { settleByLookup } from './settle.js'
import type { AttemptRow, ClaimedEvent, Completion, CompletionResult } from './storage/storage.js'

export interface DeliverDeps {
  client: PerkvilleClient
  /** Strings that must never be stored (the API token). */
  secrets: readonly string[]
  now: () => number
  backoff: BackoffOptions
  retryForMs: number
  random?: () => number
  /**
   * Called once the event is known not to have landed (settled first when in doubt), before the
   * POST: the transaction to send and the settings version it goes out under (decided again under
   * newer settings), or null when the event left the queue instead (parked, failed by an order rule,
   * or its lease lost): nothing more to do.
   */
  beforeSend?: () => Promise<ToSend | null>
  /** The settings version in force now; absent: the one the event goes out under. */
  settingsVersion?: () => number
}

/** What one attempt sends, and the settings version it was decided under. */
export interface ToSend {
  tx: Transaction
  settingsVersion: number
}

export interface DeliverOutcome {
  /** Null when beforeSend took the event out of the queue: nothing to record. */
  completion: Completion | null
  /** Set when Perkville refused the credentials: the caller pauses all delivery. */
  credentials: { status: number | null; message: string } | null
  /** received → accepted by Perkville, for delivered events. */
  latencyMs: number | null
  retry: 'temporary' | 'unknown' | null
}

/**
 * One turn for one leased event: settle first when a previous attempt's fate is unknown, then POST.
 * Never throws: every path ends in a completion for the storage.
 */
export async function deliverOne(claim: ClaimedEvent, deps: DeliverDeps): Promise<DeliverOutcome> {
  const log: AttemptRow[] = []
  const { now, secrets } = deps
  /** Every outcome of this turn: the completion to record, and what the worker does besides. */
  const outcome = (
    attemptsMade: number,
    result: CompletionResult,
    also: Partial<Omit<DeliverOutcome, 'completion'>> = {},
  ): DeliverOutcome => ({
    completion: { id: claim.id, leaseId: claim.leaseId, attemptsMade, log, result },
    credentials: null,
    latencyMs: null,
    retry: null,
    ...also,
  })
  const delivered = (attemptsMade: number, transactionId: string | null): DeliverOutcome => {
    const at = now()
    return outcome(
      attemptsMade,
      { status: 'delivered', at, transactionId },
      { latencyMs: Math.max(0, at - claim.receivedAt) },
    )
  }
  const released = (unknown: boolean, status: number | null, message: string): DeliverOutcome =>
    outcome(0, { status: 'released', nextAttemptAt: now(), unknown }, { credentials: { status, message } })
  const temporary = (
    attemptsMade: number,
    unknown: boolean,
    message: string,
    retryAfterMs: number | null,
  ): DeliverOutcome => {
    const at = now()
    const firstFailedAt = claim.firstFailedAt ?? at
    if (at - firstFailedAt >= deps.retryForMs) {
      return outcome(attemptsMade, {
        status: 'failed',
        at,
        reason: 'expired',
        error: `still failing after ${Math.round((at - firstFailedAt) / 1000)} s of retries; last error: ${message}`,
      })
    }
    const delay = retryDelayMs(claim.attempts + attemptsMade, deps.backoff, retryAfterMs, deps.random)
    return outcome(
      attemptsMade,
      { status: 'retrying', nextAttemptAt: at + delay, unknown, error: message, firstFailedAt },
      { retry: unknown ? 'unknown' : 'temporary' },
    )
  }
  const parked = (attemptsMade: number, parking: Parking, unknown: boolean): DeliverOutcome =>
    outcome(attemptsMade, {
      status: 'parked',
      at: now(),
      reason: parking.reason,
      error: parking.error,
      unknown,
    })

  if (claim.unknown) {
    const settled = await settleByLookup(deps.client, claim.tx.businessId, claim.externalId, now, secrets)
    log.push(settled.log)
    if (settled.kind === 'found') return delivered(0, settled.transactionId)
    if (settled.kind === 'refused') {
      // Still unknown: a later release settles it by lookup again, never by a blind resend.
      return parked(0, cannotSettle(settled.message, claim.externalId, claim.id), true)
    }
    if (settled.kind === 'error') {
      if (settled.class === 'credentials') return released(true, null, settled.message)
      // Without an answer the event stays unknown: never resend blind.
      return temporary(0, true, `lookup before resend failed: ${settled.message}`, null)
    }
  }

  let toSend: ToSend = { tx: claim.tx, settingsVersion: claim.settingsVersion }
  if (deps.beforeSend) {
    const next = await deps.beforeSend()
    if (next === null) return { completion: null, credentials: null, latencyMs: null, retry: null }
    toSend = next
  }
  const { tx } = toSend
  const at = now()
  let attempt: TransactionAttempt
  try {
    attempt = await deps.client.postTransaction(tx, claim.externalId)
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    attempt = {
      result: classifyTransportError(message),
      request: null as never,
      response: null,
      durationMs: 0,
    }
  }
  const r = attempt.result
  const errorText = 'message' in r ? boundErrorText(scrub(r.message, secrets)) : null
  log.push({
    at,
    durationMs: Math.round(attempt.durationMs),
    outcome: r.class,
    request: scrubbedJson(attempt.request, secrets),
    response: scrubbedJson(attempt.response, secrets),
    error: errorText,
  })
  switch (r.class) {
    case 'delivered':
      return delivered(1, r.transactionId)
    case 'already_delivered':
      // A duplicate trans_source_id (409, or a 400 saying so): an earlier attempt got through.
      return delivered(1, r.resourceUri)
    case 'permanent': {
      const parking = parkingFor(r.status, errorText ?? `HTTP ${r.status}`, tx, r.code)
      if (parking === null)
        return outcome(1, {
          status: 'failed',
          at: now(),
          reason: 'permanent',
          error: errorText ?? `HTTP ${r.status}`,
        })
      // The settings changed while this attempt was out: parking it now would miss the change that
      // un-parks. It goes back to the queue instead, to be decided again under the new settings.
      if (toSend.settingsVersion < (deps.settingsVersion?.() ?? toSend.settingsVersion)) {
        const at = now()
        return outcome(1, {
          status: 'retrying',
          nextAttemptAt: at,
          unknown: false,
          error: parking.error,
          firstFailedAt: claim.firstFailedAt ?? at,
        })
      }
      return parked(1, parking, false)
    }
    case 'daily_limit':
      // The customer had this perk today: nothing to award, not an error, never sent again. An earlier
      // attempt of this event that may have landed was looked up above (unknown), so this is no resend.
      return outcome(1, {
        status: 'skipped',
        at: now(),
        reason: DAILY_LIMIT_REACHED,
        error: `Perkville awards perk ${tx.perkId} once per calendar day and ${tx.email} already had it that day (${errorText ?? `HTTP ${r.status}`}); skipped, not an error`,
      })
    case 'credentials':
      // The attempt is not burned: the event waits for working credentials.
      return released(claim.unknown, r.status, errorText ?? `HTTP ${r.status}`)
    case 'temporary': {
      // No answer or a 5xx: Perkville may have committed it. A 408/429 was refused before any work.
      const unknown = r.status === null || r.status >= 500
      return temporary(1, unknown, errorText ?? 'temporary failure', r.retryAfterMs)
    }
  }
}
