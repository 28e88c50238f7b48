import type { JSONObject } from '@segment/actions-core'
import { describe, expect, it } from 'vitest'
import { requestBody, useNock } from '../../../../../../test/segment/actions-harness.js'

// The request body Perkville receives, pinned: a change to it must be deliberate.
useNock()

const event = {
  type: 'track' as const,
  event: 'Order Completed',
  messageId: 'snapshot-1',
  timestamp: '2026-11-23T10:00:00.000Z',
  properties: { order_id: 'o-1', revenue: '19.995', email: 'Ana@Example.com' },
}

const body = (mapping: JSONObject) => requestBody('awardPoints', event, mapping)

describe('awardPoints request body', () => {
  it('required fields', async () => {
    expect(await body({ event: { '@path': '$.' } })).toMatchInlineSnapshot(`
      {
        "business": 1001,
        "email": "Ana@Example.com",
        "location": 2001,
        "perk": 3002,
        "quantity": 20,
        "send_email": false,
        "trans_source_id": "snapshot-1",
        "transaction_dt": "2026-11-23T10:00:00.000Z",
      }
    `)
  })

  it('all fields', async () => {
    expect(
      await body({ event: { '@path': '$.' }, perk_id: '3001', send_email: true }),
    ).toMatchInlineSnapshot(`
      {
        "business": 1001,
        "email": "Ana@Example.com",
        "location": 2001,
        "perk": 3001,
        "quantity": 20,
        "send_email": true,
        "trans_source_id": "snapshot-1",
        "transaction_dt": "2026-11-23T10:00:00.000Z",
      }
    `)
  })

  it('once per day', async () => {
    expect(await body({ event: { '@path': '$.' }, once_per_day: true })).toMatchInlineSnapshot(`
      {
        "business": 1001,
        "email": "Ana@Example.com",
        "limit_to_once_per_calendar_day": true,
        "location": 2001,
        "perk": 3002,
        "quantity": 20,
        "send_email": false,
        "trans_source_id": "snapshot-1",
        "transaction_dt": "2026-11-23T10:00:00.000Z",
      }
    `)
  })
})
