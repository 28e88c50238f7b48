import type { DestinationDefinition } from '@segment/actions-core'
import { checkSettings } from '../../../perkville/settings-check.js'
import { authorizationHeader, DEFAULT_BASE_URL } from '../../../perkville/wire.js'
import { redactSecret } from '../../shared/redact.js'
import { defaultValues, InvalidAuthenticationError } from '../actions-core.js'
import awardAudiencePerk, {
  AUDIENCE_RULES_SUBSCRIPTION,
  otherTracksSubscription,
} from './awardAudiencePerk/index.js'
import awardPoints from './awardPoints/index.js'
import type { Settings } from './generated-types.js'
import { coreSettingsOf } from './settings.js'

const destination: DestinationDefinition<Settings> = {
  // Not "Perkville (Actions)": actions-core keys its ajv schemas as `${name}:${title}`, and the
  // fast-uri in this dependency tree (3.1.9) refuses a "scheme" with spaces or parentheses
  // ("URI scheme is malformed"), so the name must be a valid URI scheme.
  name: 'Perkville',
  slug: 'actions-perkville',
  mode: 'cloud',
  description:
    'Award Perkville loyalty points when customers do things: plain events earn a perk, orders earn points on their amount, refunds remove them, and joining an Engage audience earns its perk once.',

  authentication: {
    scheme: 'custom',
    fields: {
      apiKey: {
        label: 'API Key',
        description:
          'A Perkville API token, made in Perkville > Settings > Apps > Connect Segment. It needs the ADMIN_CUSTOMER_GRANT_POINTS scope.',
        type: 'password',
        required: true,
      },
      businessId: {
        label: 'Business ID',
        description: 'Your Perkville business id (a positive integer).',
        type: 'string',
        required: true,
      },
      locationId: {
        label: 'Location ID',
        description: 'The Perkville location the points are awarded at (a positive integer).',
        type: 'string',
        required: true,
      },
      eventToPerkMap: {
        label: 'Event → Perk Map',
        description:
          'A JSON object from Segment event name to Perkville perk id, e.g. {"Order Completed": 3002, "Checked In": 3001}. Its keys are the events that earn points (matched exactly); other events are discarded.',
        type: 'string',
        required: true,
        default: '{}',
      },
      sendEmail: {
        label: 'Send Email',
        description: 'When on, Perkville emails the customer about each transaction.',
        type: 'boolean',
        default: false,
      },
      audienceToPerkMap: {
        label: 'Audience → Perk Map',
        description:
          'A JSON object from Engage audience key (the snake_cased audience name, e.g. order_completed_last_30days) to Perkville perk id, e.g. {"order_completed_last_30days": 3003}. Entering a mapped audience awards its perk once per customer; other audiences are discarded.',
        type: 'string',
        default: '{}',
      },
      oncePerDayEvents: {
        label: 'Once-per-Day Events',
        description:
          'A JSON list of event names from the Event → Perk Map whose perk Perkville awards at most once per customer and calendar day (in the business time zone), e.g. ["Checked In"]: a second one that day is skipped, not an error. The Once per Day field of an Award Points subscription overrides it.',
        type: 'string',
        default: '[]',
      },
    },
    testAuthentication: async (request, { settings }) => {
      const core = coreSettingsOf(settings)
      const items = await checkSettings(
        core,
        DEFAULT_BASE_URL,
        async (url) => {
          const response = await request(url, { method: 'GET', throwHttpErrors: false })
          return { status: response.status, body: response.data ?? response.content }
        },
        { perks: false },
      )
      const failed = items.filter((item) => !item.ok)
      if (failed.length > 0) {
        const text = failed
          .map((item) => `${item.item}: ${item.message}${item.action ? ` (${item.action})` : ''}`)
          .join('; ')
        throw new InvalidAuthenticationError(redactSecret(text, core.apiKey))
      }
      return items
    },
  },

  extendRequest: ({ settings }) => ({
    headers: { Authorization: authorizationHeader(settings.apiKey) },
  }),

  presets: [
    {
      name: 'Award Points for Completed Orders',
      subscribe: 'type = "track" and event = "Order Completed"',
      partnerAction: 'awardPoints',
      mapping: defaultValues(awardPoints.fields),
      type: 'automatic',
    },
    {
      name: 'Remove Points for Refunded Orders',
      subscribe: 'type = "track" and event = "Order Refunded"',
      partnerAction: 'awardPoints',
      mapping: defaultValues(awardPoints.fields),
      type: 'automatic',
    },
    {
      // Narrow this trigger to the other events of the Event → Perk Map: events outside the map
      // are discarded with an error, as the rules say. Engage's membership tracks have their own
      // preset; an Audience Entered track without an audience's context is an event like any other.
      name: 'Award Points for Other Allowlisted Events',
      subscribe: otherTracksSubscription('event != "Order Completed" and event != "Order Refunded"'),
      partnerAction: 'awardPoints',
      mapping: defaultValues(awardPoints.fields),
      type: 'automatic',
    },
    {
      name: 'Award Perks for Engage Audiences',
      subscribe: AUDIENCE_RULES_SUBSCRIPTION,
      partnerAction: 'awardAudiencePerk',
      mapping: defaultValues(awardAudiencePerk.fields),
      type: 'automatic',
    },
  ],

  actions: {
    awardPoints,
    awardAudiencePerk,
  },
}

export default destination
