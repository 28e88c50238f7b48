import type { ActionDefinition } from '@segment/actions-core'
import { decideAndPost, sentEvent, withSendEmail } from '../decide-and-post.js'
import { sendEmailField, sentEventField } from '../fields.js'
import type { Settings } from '../generated-types.js'
import { coreSettingsOf } from '../settings.js'
import type { Payload } from './generated-types.js'

// Segment's FQL parser (@segment/destination-subscriptions) fails on groups nested two deep, so the
// subscriptions below are written as an `or` of `and` groups.
const MEMBERSHIP_CLASSES = ['audience', 'journey_step']
const AUDIENCE_TRACKS = ['Audience Entered', 'Audience Exited']

/**
 * Every event the core decides by its audience rules (`isAudienceEvent`): every identify (with or
 * without Engage context: the traits may name a mapped audience) and each Audience Entered/Exited
 * track whose Engage context is an audience or a journey step.
 */
export const AUDIENCE_RULES_SUBSCRIPTION = [
  'type = "identify"',
  ...AUDIENCE_TRACKS.flatMap((event) =>
    MEMBERSHIP_CLASSES.map(
      (c) => `(type = "track" and event = "${event}" and context.personas.computation_class = "${c}")`,
    ),
  ),
].join(' or ')

/**
 * Tracks the audience rules do not decide, as an `or` of groups each starting with `conditions`
 * (e.g. the event names other presets take): an Audience Entered track without an audience's
 * Engage context is an event like any other.
 */
export function otherTracksSubscription(conditions: string): string {
  const notAudienceName = AUDIENCE_TRACKS.map((e) => `event != "${e}"`).join(' and ')
  const notMembership = MEMBERSHIP_CLASSES.map((c) => `context.personas.computation_class != "${c}"`).join(
    ' and ',
  )
  return [notAudienceName, notMembership]
    .map((rest) => `(type = "track" and ${conditions} and ${rest})`)
    .join(' or ')
}

const action: ActionDefinition<Settings, Payload> = {
  title: 'Award Audience Perk',
  description:
    'Awards the perk of the Audience → Perk Map once per customer when an Engage audience adds them; leaving an audience removes nothing.',
  defaultSubscription: AUDIENCE_RULES_SUBSCRIPTION,
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
