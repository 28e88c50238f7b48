import { MISSING_IDENTITY } from './door.js'
import { WHAT_TO_DO } from './failure-reasons.js'

/** What an operator can do about each of the door's codes, in one sentence. */
const ACTIONS: Record<string, string> = {
  ...WHAT_TO_DO,
  [MISSING_IDENTITY]:
    'The sender sets neither userId nor anonymousId: fix the source; Segment drops such events too.',
  INVALID_JSON: 'The sender posts bodies that are not JSON: fix the source.',
  INVALID_EVENT: 'The events are not objects of the Segment spec: fix the source.',
  UNSUPPORTED_EVENT_TYPE:
    'Only track and identify events earn points: send these to another destination or ignore them.',
  EVENT_NOT_ALLOWLISTED:
    'These event names are in no map of the settings: add them to "Events that award a perk" in Settings if they should earn points, then award them from here.',
  MISSING_EMAIL: 'The events carry no email: have the source set properties.email or context.traits.email.',
  INVALID_EMAIL: "The email found is not an address: fix the source's email field.",
  MISSING_AMOUNT: 'Orders without revenue, value or total: have the source send the amount.',
  INVALID_AMOUNT: 'The order amounts are not numbers: fix the source.',
  AUDIENCE_NOT_MAPPED:
    'These audiences are in no map: add them to "Audiences that award a perk" in Settings if they should earn points.',
  AMBIGUOUS_AUDIENCE:
    'The events name several mapped audiences and no Engage context: send one audience per event.',
  INVALID_AUDIENCE_VALUE:
    'The audience membership is not true or false: fix the source or the Engage audience.',
}

const PARKED_ACTION =
  'These events wait for a settings fix: correct them in Settings ("Check settings" shows what is wrong), and they are decided again.'

export function suggestedAction(kind: 'reject' | 'failure' | 'parked', code: string): string {
  if (kind === 'parked') return ACTIONS[code] ?? PARKED_ACTION
  return ACTIONS[code] ?? 'Open a sample to read the message, fix the cause, then replay the failed ones.'
}
