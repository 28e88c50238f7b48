import { type Json, ownValue, stringOrNull } from './json.js'
import type { Settings } from './settings.js'
import { withoutNul } from './text-safe.js'
import type { Outcome, RejectCode, RejectOutcome, SkipCode, Transaction } from './types.js'

/**
 * Every form (service, plan, Actions, Function) sends what decide() returns, so the one cleaning of
 * its text happens here: U+0000 as U+FFFD (text-safe.ts), which PostgreSQL needs and the others follow.
 */
export function send(transaction: Transaction): Outcome {
  return { status: 'send', transaction: withoutNul(transaction) }
}

export function skip(code: SkipCode, message: string): Outcome {
  return { status: 'skip', reason: { code, message } }
}

export function reject(code: RejectCode, message: string): RejectOutcome {
  return { status: 'reject', error: { code, message } }
}

/**
 * The transaction of a decided event. One literal with every field, not `{ ...base, quantity }`:
 * the spread copy was most of decide's time.
 */
export function transactionOf(
  settings: Settings,
  event: Json,
  perkId: string,
  email: string,
  quantity: number,
  kind: Transaction['kind'],
  orderId: string | null,
): Transaction {
  return {
    perkId,
    email,
    businessId: settings.businessId,
    locationId: settings.locationId,
    sendEmail: settings.sendEmail,
    messageId: stringOrNull(ownValue(event, 'messageId')),
    timestamp: stringOrNull(ownValue(event, 'timestamp')),
    quantity,
    kind,
    orderId,
  }
}
