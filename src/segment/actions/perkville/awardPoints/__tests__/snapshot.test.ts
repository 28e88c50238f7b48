import { pinRequestBodies } from '../../../../../../test/segment/actions-harness.js'

pinRequestBodies(
  'awardPoints',
  {
    type: 'track' as const,
    event: 'Order Completed',
    messageId: 'snapshot-1',
    timestamp: '2026-11-23T10:00:00.000Z',
    properties: { order_id: 'o-1', revenue: '19.995', email: 'Ana@Example.com' },
  },
  {
    'required fields': { event: { '@path': '$.' } },
    'all fields': { event: { '@path': '$.' }, perk_id: '3001', send_email: true },
    'once per day': { event: { '@path': '$.' }, once_per_day: true },
  },
)
