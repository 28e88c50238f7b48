// A deterministic, realistic mix of events: what a gym or shop actually sends.
const EMAILS = 5_000

/** Event i of the mix: 40% spend, 10% refund, 35% visit/referral, 15% events the rules reject or skip. */
export function mixedEvent(i) {
  const email = `member${i % EMAILS}@example.com`
  const base = {
    type: 'track',
    messageId: `bench-${i}`,
    userId: `u${i % EMAILS}`,
    timestamp: '2026-11-23T10:00:00.000Z',
    context: { library: { name: 'analytics-node', version: '3.1.0' }, traits: { email } },
  }
  const r = i % 20
  if (r < 8) {
    return {
      ...base,
      event: 'Order Completed',
      properties: { order_id: `o-${i}`, revenue: ((i % 9000) + 100) / 100, currency: 'USD' },
    }
  }
  if (r < 10)
    return { ...base, event: 'Order Refunded', properties: { order_id: `o-${i - 20}`, total: '12.50' } }
  if (r < 16) return { ...base, event: 'Checked In', properties: { location: 'Main St', class: 'Spin' } }
  if (r < 17) return { ...base, event: 'Referral Sent', properties: { referee: 'x' } }
  if (r < 18) return { ...base, event: 'Product Viewed', properties: { sku: 'A1' } }
  if (r < 19) return { ...base, event: 'Order Completed', properties: { order_id: `o-${i}`, revenue: 'n/a' } }
  return { ...base, type: 'identify', traits: { email } }
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
}
