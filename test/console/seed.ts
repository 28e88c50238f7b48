/**
 * A small, known mix of events for the console's browser tests and screenshots: one customer with
 * delivered awards, a skip, a reject, order-rule failures and an unknown perk; another customer
 * with one failure of their own.
 */

import { ADMIN, AUTH, post } from '../server/fixture.js'
import { eventually } from '../service/helpers.js'

export const CUSTOMER = 'jane.console@example.com'
export const OTHER_CUSTOMER = 'omar.console@example.com'

export function seedEvents(tag: string) {
  const id = (what: string) => `console-${tag}-${what}`
  const order = (email: string, orderId: string, what: string, revenue = 42.5) => ({
    type: 'track',
    event: 'Order Completed',
    userId: email,
    messageId: id(what),
    properties: { email, order_id: orderId, revenue },
  })
  return {
    delivered: {
      type: 'track',
      event: 'Checked In',
      userId: 'jane',
      messageId: id('checkin'),
      properties: { email: CUSTOMER },
    },
    order: order(CUSTOMER, `ORD-${tag}`, 'order'),
    // The same order again under other messageIds: the one-award-per-order rule fails them.
    failed: order(CUSTOMER, `ORD-${tag}`, 'order-again'),
    replay: order(CUSTOMER, `ORD-${tag}`, 'order-again-2'),
    // An order of 0: nothing to send, and nothing wrong (ZERO_AMOUNT).
    skipped: order(CUSTOMER, `ORD-${tag}-0`, 'zero', 0),
    // Not in the event map: refused at the door (EVENT_NOT_ALLOWLISTED).
    rejected: {
      type: 'track',
      event: 'Product Viewed',
      userId: 'jane',
      messageId: id('viewed'),
      properties: { email: CUSTOMER },
    },
    // A perk Perkville does not have: Perkville refuses the transaction.
    unknownPerk: {
      type: 'track',
      event: 'Unknown Perk',
      userId: 'jane',
      messageId: id('unknown-perk'),
      properties: { email: CUSTOMER },
    },
    otherOrder: order(OTHER_CUSTOMER, `ORD-${tag}-omar`, 'omar-order'),
    otherFailed: order(OTHER_CUSTOMER, `ORD-${tag}-omar`, 'omar-order-again'),
  }
}

type Ids = 'delivered' | 'order' | 'failed' | 'replay' | 'unknownPerk' | 'otherFailed'
export interface Seeded {
  ids: Record<Ids, string>
}

const WAITING = new Set(['pending', 'in_flight', 'retrying'])

/** Sends the mix and waits until every event is settled (delivered, failed or parked). */
export async function seed(url: string, tag: string): Promise<Seeded> {
  const events = seedEvents(tag)
  const res = await post(`${url}/v1/batch`, { batch: Object.values(events) }, AUTH)
  if (res.status !== 200) throw new Error(`seeding failed: ${res.status} ${res.text}`)
  const settled = async (messageId: string, status?: string) => {
    const r = await fetch(`${url}/admin/events?messageId=${encodeURIComponent(messageId)}`, {
      headers: ADMIN,
    })
    const { events: found } = (await r.json()) as { events: Array<{ id: string; status: string }> }
    const event = found[0]
    if (!event || WAITING.has(event.status)) return undefined
    if (status && event.status !== status)
      throw new Error(`${messageId} is ${event.status}, the tests expect ${status}`)
    return event.id
  }
  const wait = (what: Ids, status?: string) =>
    eventually(() => settled(events[what].messageId, status), 20_000, `${what} settled`)
  return {
    ids: {
      delivered: await wait('delivered', 'delivered'),
      order: await wait('order', 'delivered'),
      failed: await wait('failed', 'failed'),
      replay: await wait('replay', 'failed'),
      unknownPerk: await wait('unknownPerk'),
      otherFailed: await wait('otherFailed', 'failed'),
    },
  }
}
