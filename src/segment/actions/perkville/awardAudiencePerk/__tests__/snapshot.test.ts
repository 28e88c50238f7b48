import type { JSONObject } from '@segment/actions-core'
import { describe, expect, it } from 'vitest'
import { membershipIdentify } from '../../../../../../test/fixtures/engage.js'
import { requestBody, useNock } from '../../../../../../test/segment/actions-harness.js'

// The request body Perkville receives, pinned: a change to it must be deliberate.
useNock()

const event = { ...membershipIdentify('Bea@Example.com', true, 'snapshot-2'), userId: 'u-1' }

const body = (mapping: JSONObject) => requestBody('awardAudiencePerk', event, mapping)

describe('awardAudiencePerk request body', () => {
  it('required fields', async () => {
    expect(await body({ event: { '@path': '$.' } })).toMatchInlineSnapshot(`
      {
        "business": 1001,
        "email": "Bea@Example.com",
        "location": 2001,
        "perk": 3003,
        "quantity": 1,
        "send_email": false,
        "trans_source_id": "aud-c2fd2bb66212c293833dd4f760290fee",
        "transaction_dt": "2026-11-23T10:00:00.000Z",
      }
    `)
  })

  it('all fields', async () => {
    expect(
      await body({
        event: { '@path': '$.' },
        personas: { '@path': '$.context.personas' },
        traits: { '@path': '$.traits' },
        properties: { '@path': '$.properties' },
        send_email: true,
      }),
    ).toMatchInlineSnapshot(`
      {
        "business": 1001,
        "email": "Bea@Example.com",
        "location": 2001,
        "perk": 3003,
        "quantity": 1,
        "send_email": true,
        "trans_source_id": "aud-c2fd2bb66212c293833dd4f760290fee",
        "transaction_dt": "2026-11-23T10:00:00.000Z",
      }
    `)
  })
})
