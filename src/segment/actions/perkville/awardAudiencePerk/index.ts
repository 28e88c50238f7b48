import type { ActionDefinition } from '@segment/actions-core'
import { decideAndPost, sentEvent, withSendEmail } from '../decide-and-post.js'
import { sendEmailField, sentEventField } from '../fields.js'
import type { Settings } from '../generated-types.js'
import { coreSettingsOf } from '../settings.js'
import type { Payload } from './generated-types.js'

/** Engage's identifies and Audience Entered/Exited tracks for an audience or a journey step. */
export const ENGAGE_MEMBERSHIP_SUBSCRIPTION =
  '(type = "identify" or event = "Audience Entered" or event = "Audience Exited") and (context.personas.computation_class = "audience" or context.personas.computation_class = "journey_step")'

const action: ActionDefinition<Settings, Payload> = {
  title: 'Award Audience Perk',
  description:
    'Awards the perk of the Audience → Perk Map once per customer when an Engage audience adds them; leaving an audience removes nothing.',
  defaultSubscription: ENGAGE_MEMBERSHIP_SUBSCRIPTION,
  fields: {
    event: sentEventField,
    personas: {
      label: 'Engage Context',
      description:
        'Which computation changed: computation_class ("audience" or "journey_step") and computation_key (the audience key looked up in the Audience → Perk Map).',
      type: 'object',
      default: { '@path': '$.context.personas' },
    },
    traits: {
      label: 'Traits',
      description:
        'The membership values of an identify: the trait named by the audience key is true on entering, false on leaving. traits.email is an email place.',
      type: 'object',
      default: { '@path': '$.traits' },
    },
    properties: {
      label: 'Properties',
      description:
        'The membership values of an Audience Entered/Exited track, as for Traits. properties.email is an email place.',
      type: 'object',
      default: { '@path': '$.properties' },
    },
    send_email: sendEmailField,
  },
  perform: async (request, { payload, settings }) => {
    const core = withSendEmail(coreSettingsOf(settings), payload.send_email)
    return decideAndPost(request, core, withMembership(sentEvent(payload.event), payload))
  },
}

/**
 * The event with the mapped Engage context and membership values in the places the rules read them.
 * With the default mapping these are the event's own, so the decision is the core's on the event.
 */
function withMembership(event: Record<string, unknown>, payload: Payload): Record<string, unknown> {
  const decided: Record<string, unknown> = { ...event }
  if (payload.traits !== undefined) decided.traits = payload.traits
  if (payload.properties !== undefined) decided.properties = payload.properties
  if (payload.personas !== undefined) {
    const context = sentEvent(Object.hasOwn(event, 'context') ? event.context : undefined)
    decided.context = { ...context, personas: payload.personas }
  }
  return decided
}

export default action
