import { describe, expect, it } from 'vitest'
import { bannerExample } from '../../src/server/banner.js'

describe('the banner example follows the settings', () => {
  it('prefers a visit-like event, then any non-refund, then a refund', () => {
    expect(bannerExample({ eventToPerkMap: { 'Order Completed': '1', 'Checked In': '2' } })?.awards).toBe(
      'Checked In -> perk 2',
    )
    expect(bannerExample({ eventToPerkMap: { 'Order Refunded': '1', 'Order Completed': '3' } })?.awards).toBe(
      'Order Completed -> perk 3',
    )
    const refundOnly = bannerExample({ eventToPerkMap: { 'Order Refunded': '1' } })
    expect(refundOnly?.event).toMatchObject({ type: 'track', event: 'Order Refunded' })
    expect(refundOnly?.event).not.toHaveProperty('properties.order_id')
  })

  it('enters a mapped audience when no event is mapped, and is null when nothing is', () => {
    const audience = bannerExample({ eventToPerkMap: {}, audienceToPerkMap: { big_spenders: '7' } })
    expect(audience?.path).toBe('identify')
    expect(audience?.event).toMatchObject({ type: 'identify', traits: { big_spenders: true } })
    expect(audience?.awards).toBe('audience big_spenders -> perk 7')
    expect(bannerExample({ eventToPerkMap: {} })).toBeNull()
  })
})
