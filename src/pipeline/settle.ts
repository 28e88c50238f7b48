import type { PerkvilleClient } from '../perkville/client-api.js'
import { PerkvilleApiError } from '../perkville/client-api.js'
import { type DeliveryClass, transactionLookupQuery } from '../perkville/wire.js'
import { scrub, scrubbedJson } from './redact.js'
import type { AttemptRow } from './storage/storage.js'

export type SettleResult =
  | { kind: 'found'; transactionId: string; log: AttemptRow }
  | { kind: 'not_found'; log: AttemptRow }
  | { kind: 'error'; class: DeliveryClass['class']; message: string; log: AttemptRow }
  /** Perkville refused (or ignored) the lookup: retrying it cannot help, and a resend could double. */
  | { kind: 'refused'; message: string; log: AttemptRow }

/**
 * A delivery whose outcome is unknown (timeout, cut connection, 5xx, crash in flight) may already be
 * in Perkville: look its trans_source_id up before any resend, so settling never doubles an award.
 */
export async function settleByLookup(
  client: PerkvilleClient,
  businessId: string,
  externalId: string,
  now: () => number,
  secrets: readonly string[],
): Promise<SettleResult> {
  const at = now()
  const started = performance.now()
  const request = scrubbedJson(
    { method: 'GET', lookup: transactionLookupQuery(businessId, externalId) },
    secrets,
  )
  try {
    const found = await client.findTransaction(businessId, externalId)
    const durationMs = Math.round(performance.now() - started)
    if (found) {
      return {
        kind: 'found',
        transactionId: String(found.id),
        log: {
          at,
          durationMs,
          outcome: 'settled_found',
          request,
          response: scrubbedJson(found, secrets),
          error: null,
        },
      }
    }
    return {
      kind: 'not_found',
      log: { at, durationMs, outcome: 'settled_not_found', request, response: null, error: null },
    }
  } catch (err) {
    const durationMs = Math.round(performance.now() - started)
    const message = scrub(err instanceof Error ? err.message : String(err), secrets)
    const cls = err instanceof PerkvilleApiError ? err.kind : 'temporary'
    const log: AttemptRow = {
      at,
      durationMs,
      outcome: 'lookup_failed',
      request,
      response: null,
      error: message,
    }
    if (cls === 'permanent' || cls === 'already_delivered') {
      return { kind: 'refused', message, log: { ...log, outcome: 'lookup_refused' } }
    }
    return { kind: 'error', class: cls, message, log }
  }
}
