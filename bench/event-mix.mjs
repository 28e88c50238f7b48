// A deterministic, realistic mix of events: what a gym or shop actually sends.
const EMAILS = 5_000

function base(i, id) {
  const email = `member${i % EMAILS}@example.com`
  return {
    type: 'track',
    messageId: `${id}-${i}`,
    userId: `u${i % EMAILS}`,
    timestamp: '2026-11-23T10:00:00.000Z',
    context: { library: { name: 'analytics-node', version: '3.1.0' }, traits: { email } },
  }
}

/**
 * Event i of the mix: 40% spend, 10% refund, 35% visit/referral, 15% events the rules reject or skip.
 * `id` prefixes messageIds and order ids, so runs (or autocannon's `[<id>]` placeholder) stay distinct.
 * A refund refers to the spend two events earlier, sent by the same customer.
 */
export function mixedEvent(i, id = 'bench') {
  const r = i % 20
  if (r < 8) {
    const props = { order_id: `o-${id}-${i}`, revenue: ((i % 9000) + 100) / 100, currency: 'USD' }
    return { ...base(i, id), event: 'Order Completed', properties: props }
  }
  if (r < 10) {
    const refund = { ...base(i - 2, id), messageId: `${id}-${i}` }
    return {
      ...refund,
      event: 'Order Refunded',
      properties: { order_id: `o-${id}-${i - 2}`, total: '12.50' },
    }
  }
  if (r < 16)
    return { ...base(i, id), event: 'Checked In', properties: { location: 'Main St', class: 'Spin' } }
  if (r < 17) return { ...base(i, id), event: 'Referral Sent', properties: { referee: 'x' } }
  if (r < 18) return { ...base(i, id), event: 'Product Viewed', properties: { sku: 'A1' } }
  if (r < 19)
    return {
      ...base(i, id),
      event: 'Order Completed',
      properties: { order_id: `o-${id}-${i}`, revenue: 'n/a' },
    }
  return { ...base(i, id), type: 'identify', traits: { email: `member${i % EMAILS}@example.com` } }
}

/** Event i of the share of the mix that the rules send (no rejects): what fills a delivery queue. */
export function deliverableEvent(i, id = 'bench') {
  // Positions 0..16 of each 20 are the sendable ones; map i onto them in order.
  const j = Math.floor(i / 17) * 20 + (i % 17)
  return mixedEvent(j, id)
}

/** The Engage audience the benchmarks sync (mapped in BENCH_SETTINGS). */
export const BENCH_AUDIENCE = 'bench_audience'

/**
 * Identify i of an Engage first sync: a new member entering the audience, as Engage sends it. Each
 * `id` (autocannon's placeholder) makes a new customer, so every identify is a new award to queue.
 */
export function audienceIdentify(i, id = 'bench') {
  const email = `member-${id}-${i}@example.com`
  return {
    type: 'identify',
    messageId: `${id}-aud-${i}`,
    userId: `aud-${id}-${i}`,
    timestamp: '2026-11-23T10:00:00.000Z',
    traits: { email, [BENCH_AUDIENCE]: true },
    context: {
      library: { name: 'analytics-node', version: '3.1.0' },
      personas: {
        computation_class: 'audience',
        computation_key: BENCH_AUDIENCE,
        computation_id: 'aud_bench',
        space_id: 'spa_bench',
        namespace: 'spa_bench',
      },
    },
  }
}

export const BENCH_SETTINGS = {
  apiKey: 'sandbox-token',
  businessId: '1001',
  locationId: '2001',
  sendEmail: false,
  eventToPerkMap: {
    'Order Completed': 3002,
    'Order Refunded': 3002,
    'Checked In': 3001,
    'Referral Sent': 3003,
  },
  audienceToPerkMap: { [BENCH_AUDIENCE]: 3003 },
}
