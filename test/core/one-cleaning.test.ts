import { describe, expect, test } from 'vitest'
import { decide } from '../../src/core/decide.js'
import { planLine } from '../../src/core/plan.js'
import { parseSettings } from '../../src/core/settings.js'
import { atTheDoor } from '../../src/pipeline/door.js'

// Issue 22 item 11: `plan` kept U+0000 in an email while the service sent U+FFFD. The cleaning is
// done once, in the core's decision, so every form (plan, service, Actions, Function) sends the same.
const settings = parseSettings({
  apiKey: 'one-cleaning-token',
  businessId: '1001',
  locationId: '2001',
  eventToPerkMap: { 'Order Completed': '3002' },
})
const event = {
  type: 'track',
  event: 'Order Completed',
  userId: 'u1',
  messageId: 'm\u00001',
  properties: { email: 'a\u0000b@example.com', order_id: 'o\u00001', revenue: 10 },
}

describe('one cleaning for every form', () => {
  test('decide() sends no U+0000: the email and order id carry U+FFFD', () => {
    const outcome = decide(settings, event)
    expect(outcome.status).toBe('send')
    if (outcome.status !== 'send') return
    expect(outcome.transaction).toMatchObject({ email: 'a\uFFFDb@example.com', orderId: 'o\uFFFD1' })
    expect(JSON.stringify(outcome.transaction)).not.toContain('\\u0000')
  })

  test('plan and the service send the same transaction', () => {
    const planned = planLine(settings, JSON.stringify(event), 1)
    const door = atTheDoor(settings, { payload: event, source: 'tracking-api', receivedAt: Date.now() })
    expect(planned.status).toBe('send')
    expect(door.kind).toBe('queue')
    if (planned.status !== 'send' || door.kind !== 'queue') return
    const { messageId: _m, timestamp: _t, ...served } = door.event.tx
    expect(planned.transaction).toEqual(served)
    expect(planned.transaction.email).toBe('a\uFFFDb@example.com')
  })
})
