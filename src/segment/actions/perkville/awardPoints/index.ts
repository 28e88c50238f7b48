import type { ActionDefinition } from '@segment/actions-core'
import { externalIdFor } from '../../../../core/external-id.js'
import { type Settings as CoreSettings, decide } from '../../../../core/index.js'
import { PayloadValidationError } from '../../actions-core.js'
import { postTransaction } from '../deliver.js'
import { eventFromPayload } from '../event-from-payload.js'
import type { Settings } from '../generated-types.js'
import { coreSettingsOf } from '../settings.js'
import type { Payload } from './generated-types.js'

/** The first of `paths` that exists (is neither undefined nor null), as nested @if directives. */
function firstOf(...paths: [string, ...string[]]): Record<string, unknown> {
  const [head, ...rest] = paths
  if (rest.length === 0) return { '@path': head }
  return {
    // biome-ignore lint/suspicious/noThenProperty: `then` is part of actions-core's @if directive format.
    '@if': { exists: { '@path': head }, then: { '@path': head }, else: firstOf(...(rest as [string])) },
  }
}

const action: ActionDefinition<Settings, Payload> = {
  title: 'Award Points',
  description:
    'Awards Perkville points for a track event: one point basis for plain events, the order amount for orders, and removes points for refunds.',
  defaultSubscription: 'type = "track"',
  fields: {
    email: {
      label: 'Email',
      description: "The customer's email address: Perkville finds (or invites) the customer by it.",
      type: 'string',
      default: firstOf('$.email', '$.properties.email', '$.context.traits.email'),
    },
    event_name: {
      label: 'Event Name',
      description: 'The Segment event name, looked up in the Event → Perk Map.',
      type: 'string',
      required: true,
      default: { '@path': '$.event' },
    },
    perk_id: {
      label: 'Perk ID',
      description:
        'A Perkville perk id to award instead of the one in the Event → Perk Map. When set, this subscription does not need the event in the map.',
      type: 'string',
    },
    order_id: {
      label: 'Order ID',
      description: 'The order id. With one, the event is a purchase: points follow the amount.',
      type: 'string',
      default: firstOf('$.properties.order_id', '$.properties.orderId'),
    },
    // Amounts are strings on purpose: the schema validator would coerce "" and null to 0 and refuse
    // "abc" before the rules run; as strings the core decides what an amount is, with its own errors.
    revenue: {
      label: 'Revenue',
      description: 'The order amount (first choice).',
      type: 'string',
      default: { '@path': '$.properties.revenue' },
    },
    value: {
      label: 'Value',
      description: 'The order amount when Revenue is absent.',
      type: 'string',
      default: { '@path': '$.properties.value' },
    },
    total: {
      label: 'Total',
      description: 'The order amount when Revenue and Value are absent.',
      type: 'string',
      default: { '@path': '$.properties.total' },
    },
    send_email: {
      label: 'Send Email',
      description: 'Overrides the Send Email setting for this action.',
      type: 'boolean',
    },
    message_id: {
      label: 'Message ID',
      description:
        "The Segment messageId: Perkville's external id, so a redelivered event is never awarded twice.",
      type: 'string',
      unsafe_hidden: true,
      default: { '@path': '$.messageId' },
    },
    timestamp: {
      label: 'Timestamp',
      description: 'When the event happened.',
      type: 'datetime',
      default: { '@path': '$.timestamp' },
    },
    event_type: {
      label: 'Event Type',
      description: 'The Segment event type; only track events earn points.',
      type: 'string',
      unsafe_hidden: true,
      default: { '@path': '$.type' },
    },
  },
  perform: async (request, { payload, settings }) => {
    const core = withOverrides(coreSettingsOf(settings), payload)
    const event = eventFromPayload(payload)
    const outcome = decide(core, event)
    if (outcome.status === 'reject') {
      throw new PayloadValidationError(`${outcome.error.code}: ${outcome.error.message}`)
    }
    // A skip (an order worth zero) is not an error: nothing to award, no request.
    if (outcome.status === 'skip') return
    return postTransaction(request, outcome.transaction, externalIdFor(event), core.apiKey)
  },
}

/** The action's Perk ID and Send Email fields win over the destination settings. */
function withOverrides(core: CoreSettings, payload: Payload): CoreSettings {
  let result = core
  if (payload.perk_id !== undefined) {
    const perk = payload.perk_id.trim()
    if (!/^\d+$/.test(perk) || /^0+$/.test(perk)) {
      throw new PayloadValidationError(
        `perk_id is ${JSON.stringify(payload.perk_id)}, not a positive integer perk id`,
      )
    }
    // The subscription's trigger is the allowlist for this action, so the event joins the map.
    const map: Record<string, string> = Object.create(null)
    Object.assign(map, core.eventToPerkMap)
    map[payload.event_name] = perk.replace(/^0+/, '')
    result = { ...result, eventToPerkMap: map }
  }
  if (payload.send_email !== undefined) result = { ...result, sendEmail: payload.send_email }
  return result
}

export default action
