/**
 * Problems the settings cause park events instead of failing them. Pure: which answers mean the
 * settings name something Perkville does not know, and the words an operator sees on the event.
 */
import type { Transaction } from '../core/types.js'
import { TRANSACTION_ERROR_CODES } from '../perkville/wire.js'
import type { ParkingReason } from './failure-reasons.js'

export interface Parking {
  reason: ParkingReason
  /** What happened and what to do, shown on the event, in /admin/stats and the log. */
  error: string
}

const FIX =
  'Correct the settings in Settings (or the settings file): every parked event is then decided again under the new settings and delivered, without a replay.'

/** What to do once Perkville itself is fixed (nothing in the settings changes then). */
const RELEASE = 'then release the parked events (POST /admin/parked/release).'

/**
 * A refusal of `POST transactions/` that the settings caused, or null. Perkville's documented codes
 * E000–E005 say which of location and perk is wrong and how; a 404 means Perkville does not know
 * something the transaction names (or the base URL is wrong); a 400 whose message names the
 * business, location or perk field says the same in a validation error's words.
 */
export function parkingFor(
  status: number,
  message: string,
  tx: Transaction,
  code: string | null = null,
): Parking | null {
  const documented = code === null ? undefined : TRANSACTION_ERROR_CODES[code]
  if (documented) return parkingForCode(documented, message, tx)
  const named = /\b(business|location|perk)\b/i.exec(message)?.[1]?.toLowerCase()
  if (
    status !== 404 &&
    !(status === 400 && named !== undefined && /^HTTP 400: (business|location|perk)\b/i.test(message))
  )
    return null
  switch (named) {
    case 'location':
      return {
        reason: 'unknown_location',
        error: `Perkville does not know location ${tx.locationId} of business ${tx.businessId} (${message}). Set locationId to one of the business's locations. ${FIX}`,
      }
    case 'perk':
      return {
        reason: 'unknown_perk',
        error: `Perkville does not know perk ${tx.perkId} of business ${tx.businessId} (${message}). Map the event to one of the business's perks. ${FIX}`,
      }
    case 'business':
      return {
        reason: 'unknown_business',
        error: `Perkville does not know business ${tx.businessId} (${message}). Set businessId to your Perkville business. ${FIX}`,
      }
    default:
      return {
        reason: 'unknown_to_perkville',
        error: `Perkville answered that something this transaction names does not exist (${message}); check the Perkville base URL, businessId, locationId and the perk map. ${FIX}`,
      }
  }
}

function parkingForCode(
  { names, problem }: (typeof TRANSACTION_ERROR_CODES)[string],
  message: string,
  tx: Transaction,
): Parking {
  const id = names === 'location' ? tx.locationId : tx.perkId
  const setting = names === 'location' ? 'Set locationId to' : 'Map the event to'
  const what = `${names} ${id}`
  switch (problem) {
    case 'missing':
      return {
        reason: names === 'location' ? 'unknown_location' : 'unknown_perk',
        error: `Perkville has no ${what} (${message}). ${setting} one of business ${tx.businessId}'s ${names}s. ${FIX}`,
      }
    case 'other_business':
      return {
        reason: names === 'location' ? 'unknown_location' : 'unknown_perk',
        error: `Perkville's ${what} is not of business ${tx.businessId} (${message}). ${setting} one of business ${tx.businessId}'s own ${names}s, or correct businessId. ${FIX}`,
      }
    case 'inactive':
      return {
        reason: names === 'location' ? 'inactive_location' : 'inactive_perk',
        error: `Perkville's ${what} is not active (${message}). Activate it in Perkville, ${RELEASE} Or ${setting.charAt(0).toLowerCase()}${setting.slice(1)} an active ${names}: ${FIX}`,
      }
  }
}

/** An event that newer settings no longer award (its name or audience left the map). */
export function notAwarded(code: string, message: string): Parking {
  return {
    reason: 'not_awarded',
    error: `The settings in force no longer award this event (${code}: ${message}). It stays parked and is not sent; a later settings version that awards it again delivers it.`,
  }
}

/**
 * An earlier attempt's answer was lost and Perkville refused the lookup that would tell whether it
 * landed: the event waits for an operator rather than risk a second award.
 */
export function cannotSettle(message: string, transSourceId: string, eventId: string): Parking {
  return {
    reason: 'cannot_settle',
    // What to do comes first and Perkville's answer last: stored errors are cut at 500 characters,
    // and the cut must take Perkville's text, never the operator's way out.
    error: `Not sent again: an earlier attempt's answer was lost and Perkville refused the lookup that tells whether it landed, so a resend could award twice. If Perkville has a transaction with trans_source_id ${transSourceId}, nothing is missing; if not, retry this event (POST /admin/events/${eventId}/retry: sent once, same trans_source_id). Once the lookup works, POST /admin/parked/release settles every such event. Perkville answered: ${message}`,
  }
}
