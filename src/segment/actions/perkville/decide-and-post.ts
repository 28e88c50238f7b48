import type { RequestClient } from '@segment/actions-core'
import { type Settings as CoreSettings, decide, transactionExternalId } from '../../../core/index.js'
import { PayloadValidationError } from '../actions-core.js'
import { postTransaction } from './deliver.js'

/**
 * What every action of this destination does with the event it was given: the core decides on the
 * event as sent (no field has been converted to another type on the way), so the Actions form
 * decides exactly as the service and the Function do, and sends the same body and external id.
 */
export async function decideAndPost(
  request: RequestClient,
  core: CoreSettings,
  event: Record<string, unknown>,
) {
  const outcome = decide(core, event)
  if (outcome.status === 'reject') {
    throw new PayloadValidationError(`${outcome.error.code}: ${outcome.error.message}`)
  }
  // A skip (an order worth zero, an ordinary identify, an audience exit) is not an error: no request.
  if (outcome.status === 'skip') return
  return postTransaction(
    request,
    outcome.transaction,
    transactionExternalId(event, outcome.transaction),
    core.apiKey,
  )
}

/** The action's Send Email field wins over the destination setting. */
export function withSendEmail(core: CoreSettings, sendEmail: boolean | undefined): CoreSettings {
  return sendEmail === undefined ? core : { ...core, sendEmail }
}

/** The event as sent, whatever the mapping resolved to (an object field always holds an object). */
export function sentEvent(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {}
}
