// The fault harness's traffic: realistic Segment events from a few hundred customers — visits,
// referrals, orders with follow-ups (the same order again under a new messageId, partial, full and
// excessive refunds), verbatim resends of earlier events, and events the rules or Segment drop.
//
// An order's next event is only generated once the previous one was acknowledged, so the service
// receives each order's events in a known order and the expected outcome is well defined. Nothing
// else is ordered: independent events go out in parallel, in batches and one by one.
import { externalIdFor } from '../../dist/core/index.js'

const CUSTOMERS = 300

export class ChaosTraffic {
  constructor(rand, runId) {
    this.rand = rand
    this.runId = runId
    this.seq = 0
    /** extId → { extId, event, emittedAt, ackedAt, sends, order } (one per distinct event). */
    this.logical = new Map()
    /** Emitted in this order (every emission, including verbatim resends). */
    this.emitted = []
    /** Open orders whose previous event is acknowledged and which have follow-ups left. */
    this.orders = new Map()
    this.counts = {}
  }

  customer(i = this.rand.int(0, CUSTOMERS - 1)) {
    return { userId: `cust-${this.runId}-${i}`, email: `member${i}@chaos.example.com` }
  }

  base(name, c, extra = {}) {
    this.seq++
    const e = {
      type: 'track',
      event: name,
      messageId: `chaos-${this.runId}-${this.seq}`,
      userId: c.userId,
      timestamp: new Date().toISOString(),
      context: { library: { name: 'analytics-node', version: '3.1.0' }, traits: { email: c.email } },
      ...extra,
    }
    return e
  }

  count(kind) {
    this.counts[kind] = (this.counts[kind] ?? 0) + 1
  }

  /** Records an event as emitted and returns it (the sender takes it from there). */
  emit(event, kind, order = null) {
    const extId = externalIdFor(event)
    let l = this.logical.get(extId)
    if (!l) {
      l = { extId, event, kind, emittedAt: Date.now(), ackedAt: null, order }
      this.logical.set(extId, l)
    }
    this.emitted.push(extId)
    this.count(kind)
    return event
  }

  amount() {
    const cents = this.rand.int(100, 25_000)
    // Amounts arrive as numbers or as strings, as real instrumentation sends them.
    return this.rand.chance(0.3) ? (cents / 100).toFixed(2) : cents / 100
  }

  newOrder() {
    const c = this.customer()
    const orderId = `ord-${this.runId}-${this.seq + 1}`
    const revenue = this.amount()
    const e = this.base('Order Completed', c, { properties: { order_id: orderId, revenue, currency: 'USD' } })
    const cents = Math.round(Number(revenue) * 100)
    const plan = []
    if (this.rand.chance(0.3)) plan.push('again')
    if (this.rand.chance(0.5)) {
      plan.push('refund')
      if (this.rand.chance(0.35)) plan.push('refund')
    }
    this.rand.chance(0.5) && plan.reverse()
    const order = { orderId, customer: c, cents, plan, waitingFor: null }
    this.emit(e, 'order', order)
    if (plan.length > 0) {
      order.waitingFor = externalIdFor(e)
      this.orders.set(orderId, order)
    }
    return e
  }

  /** The next step of an order whose previous event was acknowledged, if any. */
  followUp() {
    for (const order of this.orders.values()) {
      const prev = this.logical.get(order.waitingFor)
      if (!prev || prev.ackedAt === null) continue
      const step = order.plan.shift()
      let e
      if (step === 'again') {
        // The same order under a new messageId: a retrying checkout. Same or different amount.
        const revenue = this.rand.chance(0.5) ? order.cents / 100 : this.amount()
        e = this.base('Order Completed', order.customer, { properties: { order_id: order.orderId, revenue } })
        this.emit(e, 'order_again', order)
      } else {
        const r = this.rand.next()
        const cents =
          r < 0.5
            ? this.rand.int(1, Math.max(1, order.cents - 1))
            : r < 0.75
              ? order.cents
              : order.cents + this.rand.int(1, 5000)
        const total = this.rand.chance(0.5) ? `${(cents / 100).toFixed(2)}` : -cents / 100
        e = this.base('Order Refunded', order.customer, { properties: { order_id: order.orderId, total } })
        this.emit(e, 'refund', order)
      }
      order.waitingFor = externalIdFor(e)
      if (order.plan.length === 0) this.orders.delete(order.orderId)
      return e
    }
    return null
  }

  invalid() {
    const c = this.customer()
    switch (this.rand.int(0, 8)) {
      case 0:
        return this.emit(this.base('Product Viewed', c, { properties: { sku: 'A1' } }), 'invalid')
      case 1:
        return this.emit(
          { ...this.base('x', c), type: 'identify', event: undefined, traits: { email: c.email } },
          'invalid',
        )
      case 2: {
        const e = this.base('Checked In', c)
        e.context = { library: e.context.library }
        return this.emit(e, 'invalid')
      }
      case 3:
        return this.emit(
          this.base('Order Completed', c, { properties: { order_id: `bad-${this.seq}`, revenue: 'abc' } }),
          'invalid',
        )
      case 4: {
        const e = this.base('Checked In', c)
        delete e.userId
        return this.emit(e, 'invalid')
      }
      case 5:
        return this.emit(
          this.base('Order Completed', c, { properties: { order_id: `neg-${this.seq}`, revenue: -5 } }),
          'invalid',
        )
      case 6:
        return this.emit(
          this.base('Order Completed', c, { properties: { order_id: `zero-${this.seq}`, revenue: '0.00' } }),
          'invalid',
        )
      case 7:
        // A refund for an order this service never awarded: the cap refuses it.
        return this.emit(
          this.base('Order Refunded', c, { properties: { order_id: `unknown-${this.seq}`, total: 5 } }),
          'invalid',
        )
      default:
        return this.emit(this.base('Checked In', { userId: c.userId, email: 'not-an-email' }), 'invalid')
    }
  }

  /** One new emission, drawn from the mix. */
  next() {
    const r = this.rand.next()
    if (r < 0.22) {
      const e = this.base('Checked In', this.customer(), { properties: { location: 'Main St' } })
      // A few senders set no messageId: the external id is then the hash of the content.
      if (this.rand.chance(0.05)) delete e.messageId
      return this.emit(e, 'visit')
    }
    if (r < 0.27)
      return this.emit(
        this.base('Referral Sent', this.customer(), { properties: { referee: 'x' } }),
        'referral',
      )
    if (r < 0.5) return this.newOrder()
    if (r < 0.7) return this.followUp() ?? this.newOrder()
    if (r < 0.82 && this.emitted.length > 0) {
      // A verbatim resend of something sent earlier (a client retry, a replayed log): same messageId.
      const l = this.logical.get(this.rand.pick(this.emitted))
      this.count('resend')
      this.emitted.push(l.extId)
      return l.event
    }
    return this.invalid()
  }

  ack(events, at) {
    for (const e of events) {
      const l = this.logical.get(externalIdFor(e))
      if (l && l.ackedAt === null) l.ackedAt = at
    }
  }
}
