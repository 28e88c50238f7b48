import { decide } from '../core/decide.js'
import type { Settings } from '../core/settings.js'
import { notAwarded } from './parking.js'
import type { Redecision } from './storage/storage.js'

/**
 * An undelivered event's transaction decided again from its stored payload under the settings in
 * force, by the same rules as at the door. The stored payload already carries its receivedAt and
 * settled timestamp, so only what the settings say can differ. Never throws.
 */
export function decideAgain(settings: Settings, payload: string): Redecision['verdict'] {
  let event: unknown
  try {
    event = JSON.parse(payload)
  } catch {
    event = null
  }
  const outcome = decide(settings, event)
  if (outcome.status === 'send') return { outcome: 'queue', tx: outcome.transaction }
  const { code, message } = outcome.status === 'skip' ? outcome.reason : outcome.error
  const parked = notAwarded(code, message)
  return {
    outcome: outcome.status,
    code,
    message,
    parkReason: parked.reason,
    parkError: parked.error,
  }
}
