/**
 * A small, known mix of events for the console's browser tests and screenshots: one customer with
 * a delivered award, a delivered order, a skip, a reject and a permanent failure.
 */

import { ADMIN, AUTH, post } from '../server/fixture.js'
import { eventually } from '../service/helpers.js'

export const CUSTOMER = 'jane.console@example.com'

export function seedEvents(tag: string) {
  const id = (what: string) => `console-${tag}-${what}`
  return {
    delivered: {
      type: 'track',
      event: 'Checked In',
      userId: 'jane',
      messageId: id('checkin'),
      properties: { email: CUSTOMER },
    },
    order: {
      type: 'track',
      event: 'Order Completed',
      userId: 'jane',
      messageId: id('order'),
      properties: { email: CUSTOMER, order_id: `ORD-${tag}`, revenue: 42.5 },
    },
    // An order of 0: nothing to send, and nothing wrong (ZERO_AMOUNT).
    skipped: {
      type: 'track',
      event: 'Order Completed',
      userId: 'jane',
      messageId: id('zero'),
      properties: { email: CUSTOMER, order_id: `ORD-${tag}-0`, revenue: 0 },
    },
    // Not in the event map: refused at the door (EVENT_NOT_ALLOWLISTED).
    rejected: {
      type: 'track',
      event: 'Product Viewed',
      userId: 'jane',
      messageId: id('viewed'),
      properties: { email: CUSTOMER },
    },
    // A perk Perkville does not have: delivery fails for good.
    failed: {
      type: 'track',
      event: 'Unknown Perk',
      userId: 'jane',
      messageId: id('unknown-perk'),
      properties: { email: CUSTOMER },
    },
  }
}

export interface Seeded {
  ids: Record<'delivered' | 'order' | 'failed', string>
}

/** Sends the mix and waits until the deliveries and the failure are settled. */
export async function seed(url: string, tag: string): Promise<Seeded> {
  const events = seedEvents(tag)
  const res = await post(`${url}/v1/batch`, { batch: Object.values(events) }, AUTH)
  if (res.status !== 200) throw new Error(`seeding failed: ${res.status} ${res.text}`)
  const find = async (messageId: string, status: string) => {
    const r = await fetch(`${url}/admin/events?messageId=${encodeURIComponent(messageId)}`, {
      headers: ADMIN,
    })
    const { events: found } = (await r.json()) as { events: Array<{ id: string; status: string }> }
    return found.find((e) => e.status === status)?.id
  }
  const ids = {
    delivered: await eventually(() => find(events.delivered.messageId, 'delivered'), 20_000, 'the check-in'),
    order: await eventually(() => find(events.order.messageId, 'delivered'), 20_000, 'the order'),
    failed: await eventually(() => find(events.failed.messageId, 'failed'), 20_000, 'the failure'),
  }
  return { ids }
}
