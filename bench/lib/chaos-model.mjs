// The harness's own model of what the sandbox must hold after a chaos run. Independent of the
// service's code on purpose: the rules core's decide() for each event, Segment's drop of events
// without userId/anonymousId, and the documented order rules (docs/delivery.md) restated simply —
// one award per (order id, perk); refunds clamped to what is left of the order's award, and refused
// when nothing is left. Events are applied in the order they were acknowledged.
import { decide } from '../../dist/core/index.js'

const cents = (q) => Math.round(q * 100)

function hasIdentity(e) {
  const ok = (v) => (typeof v === 'string' ? v.trim() !== '' : typeof v === 'number' && Number.isFinite(v))
  return ok(e.userId) || ok(e.anonymousId)
}

/**
 * `logical`: the harness's distinct events ({ extId, event, ackedAt }). Returns the transactions the
 * sandbox must hold (extId → { cents, maybe }) and, for events that must not produce one, why.
 * An event never acknowledged is a "maybe": it may exist, but if it does its quantity must be right.
 */
export function expectedTransactions(settings, logical) {
  const order = [...logical].sort(
    (a, b) => (a.ackedAt ?? Infinity) - (b.ackedAt ?? Infinity) || a.emittedAt - b.emittedAt,
  )
  const ledger = new Map()
  const expect = new Map()
  const none = new Map()
  for (const l of order) {
    const maybe = l.ackedAt === null
    const e = l.event
    if (!hasIdentity(e)) {
      none.set(l.extId, 'MISSING_IDENTITY')
      continue
    }
    const outcome = decide(settings, e)
    if (outcome.status !== 'send') {
      none.set(l.extId, outcome.status === 'skip' ? outcome.reason.code : outcome.error.code)
      continue
    }
    const tx = outcome.transaction
    if (tx.orderId === null || tx.kind === 'event') {
      expect.set(l.extId, { cents: cents(tx.quantity), maybe })
      continue
    }
    const key = `${tx.orderId}\u0000${tx.perkId}`
    const state = ledger.get(key) ?? { awarded: 0, refunded: 0 }
    ledger.set(key, state)
    const asked = Math.abs(cents(tx.quantity))
    if (tx.kind === 'spend') {
      if (state.awarded > 0) {
        none.set(l.extId, 'order_already_awarded')
        continue
      }
      if (!maybe) state.awarded = asked
      expect.set(l.extId, { cents: asked, maybe })
    } else {
      const left = state.awarded - state.refunded
      if (left <= 0) {
        none.set(l.extId, 'refund_exceeds_order')
        continue
      }
      const take = Math.min(asked, left)
      if (!maybe) state.refunded += take
      expect.set(l.extId, { cents: -take, maybe })
    }
  }
  return { expect, none }
}

/** Compares the model with the sandbox's transactions. */
export function reconcile(model, transactions) {
  const byExt = new Map()
  for (const t of transactions) {
    const list = byExt.get(t.trans_source_id) ?? []
    list.push(t)
    byExt.set(t.trans_source_id, list)
  }
  const r = {
    expected_transactions: 0,
    delivered: 0,
    lost: 0,
    duplicates: 0,
    wrong_quantity: 0,
    unexpected: 0,
    maybe_delivered: 0,
    maybe_absent: 0,
    examples: [],
  }
  const example = (what, detail) => r.examples.length < 12 && r.examples.push({ what, ...detail })
  for (const [extId, exp] of model.expect) {
    const txs = byExt.get(extId) ?? []
    if (!exp.maybe) r.expected_transactions++
    if (txs.length === 0) {
      if (exp.maybe) r.maybe_absent++
      else {
        r.lost++
        example('lost', { extId, cents: exp.cents })
      }
      continue
    }
    if (exp.maybe) r.maybe_delivered++
    else r.delivered++
    if (txs.length > 1) {
      r.duplicates += txs.length - 1
      example('duplicate', { extId, count: txs.length })
    }
    if (cents(txs[0].quantity) !== exp.cents) {
      r.wrong_quantity++
      example('wrong_quantity', { extId, expected: exp.cents / 100, got: txs[0].quantity })
    }
  }
  for (const [extId, txs] of byExt) {
    if (model.expect.has(extId)) continue
    const reason = model.none.get(extId)
    // A second award of an order, or a refund that had nothing left to take: points doubled or wrong.
    if (reason === 'order_already_awarded' || reason === 'refund_exceeds_order') {
      r.duplicates += txs.length
      example('duplicate', { extId, reason, quantity: txs[0].quantity })
    } else {
      r.unexpected += txs.length
      example('unexpected', { extId, reason: reason ?? 'never sent', quantity: txs[0].quantity })
    }
  }
  return r
}
