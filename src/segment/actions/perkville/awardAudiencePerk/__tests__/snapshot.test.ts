import { membershipIdentify } from '../../../../../../test/fixtures/engage.js'
import { pinRequestBodies } from '../../../../../../test/segment/actions-harness.js'

pinRequestBodies(
  'awardAudiencePerk',
  { ...membershipIdentify('Bea@Example.com', true, 'snapshot-2'), userId: 'u-1' },
  {
    'required fields': { event: { '@path': '$.' } },
    'all fields': {
      event: { '@path': '$.' },
      personas: { '@path': '$.context.personas' },
      traits: { '@path': '$.traits' },
      properties: { '@path': '$.properties' },
      send_email: true,
    },
  },
)
