import type { ActionDefinition } from '@segment/actions-core'
import type { Settings as CoreSettings } from '../../../../core/index.js'
import { PayloadValidationError } from '../../actions-core.js'
import { decideAndPost, sentEvent, withSendEmail } from '../decide-and-post.js'
import { oncePerDayField, sendEmailField, sentEventField } from '../fields.js'
import type { Settings } from '../generated-types.js'
import { coreSettingsOf } from '../settings.js'
import type { Payload } from './generated-types.js'

const action: ActionDefinition<Settings, Payload> = {
  title: 'Award Points',
  description:
    'Awards Perkville points for a track event: one point basis for plain events, the order amount for orders, and removes points for refunds.',
  defaultSubscription: 'type = "track"',
  fields: {
    event: sentEventField,
    perk_id: {
      label: 'Perk ID',
      description:
        'A Perkville perk id to award instead of the one in the Event → Perk Map. When set, this subscription does not need the event in the map.',
      type: 'string',
    },
    send_email: sendEmailField,
    once_per_day: oncePerDayField,
  },
  perform: async (request, { payload, settings }) => {
    const event = sentEvent(payload.event)
    const core = withPerkOverride(withSendEmail(coreSettingsOf(settings), payload.send_email), payload, event)
    return decideAndPost(request, withOncePerDay(core, payload.once_per_day, event), event)
  },
}

/** The Once per Day field: this subscription's event joins (or leaves) the once-per-day events. */
function withOncePerDay(
  core: CoreSettings,
  oncePerDay: boolean | undefined,
  event: Record<string, unknown>,
): CoreSettings {
  const name = Object.hasOwn(event, 'event') ? event.event : undefined
  // Only a mapped event can be awarded at all; anything else is left to the rules to reject.
  if (oncePerDay === undefined || typeof name !== 'string' || !Object.hasOwn(core.eventToPerkMap, name))
    return core
  const others = core.oncePerDayEvents.filter((n) => n !== name)
  return { ...core, oncePerDayEvents: oncePerDay ? [...others, name] : others }
}

/** The Perk ID field: the subscription's trigger is the allowlist for this action, so the event joins the map. */
function withPerkOverride(
  core: CoreSettings,
  payload: Payload,
  event: Record<string, unknown>,
): CoreSettings {
  if (payload.perk_id === undefined) return core
  const perk = payload.perk_id.trim()
  if (!/^\d+$/.test(perk) || /^0+$/.test(perk)) {
    throw new PayloadValidationError(
      `perk_id is ${JSON.stringify(payload.perk_id)}, not a positive integer perk id`,
    )
  }
  const name = Object.hasOwn(event, 'event') ? event.event : undefined
  // A missing or empty name is left to the rules, which reject it with their own message.
  if (typeof name !== 'string' || name === '') return core
  const map: Record<string, string> = Object.create(null)
  Object.assign(map, core.eventToPerkMap)
  map[name] = perk.replace(/^0+/, '')
  return { ...core, eventToPerkMap: map }
}

export default action
