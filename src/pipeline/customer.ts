import type { Destination } from './destination.js'
import { allHits } from './event-search.js'
import { type eventSummary, hitSummary } from './event-summary.js'
import { perkvillePoints } from './perkville-points.js'
import type { CustomerView } from './service-api.js'
import type { ReadModel, StoredEvent } from './storage/storage.js'

/** The newest events of one customer the view reads (and shows). */
export const CUSTOMER_EVENTS = 1_000
/** The balance is a courtesy: a slow Perkville must not hold the page. */
const BALANCE_TIMEOUT_MS = 3_000

/**
 * Everything about one email: its events (accepted and refused), the points delivered and removed,
 * the audiences entered and left, the orders with their refunds, and the Perkville balance.
 */
export async function customerView(
  storage: ReadModel,
  destination: Destination,
  rawEmail: string,
): Promise<CustomerView> {
  const email = rawEmail.trim()
  const customerKey = email.toLowerCase()
  const hits = []
  for await (const hit of allHits(storage, { customerKey, limit: CUSTOMER_EVENTS }, CUSTOMER_EVENTS))
    hits.push(hit)
  const accepted = hits.flatMap((h) => (h.event ? [h.event] : []))
  const points = { awarded: 0, removed: 0, unknown: 0 }
  const quantities = { awarded: 0, removed: 0 }
  for (const e of accepted) {
    if (e.status !== 'delivered') continue
    if (e.quantity < 0 || e.kind === 'refund') quantities.removed += Math.abs(e.quantity)
    else quantities.awarded += e.quantity
    const p = perkvillePoints(e)
    if (p === null) points.unknown++
    else if (p < 0) points.removed -= p
    else points.awarded += p
  }
  const [balance] = await Promise.all([readBalance(destination, email)])
  return {
    email,
    events: hits.map(hitSummary),
    points,
    quantities,
    reconciles:
      'points' in balance && points.unknown === 0 ? balance.points === points.awarded - points.removed : null,
    audiences: audiences(hits.map(hitSummary).reverse()),
    orders: orders(accepted),
    balance,
  }
}

/** Oldest first: an entry (an accepted audience event) opens, an AUDIENCE_EXITED skip closes. */
function audiences(events: ReturnType<typeof eventSummary>[]): CustomerView['audiences'] {
  const byKey = new Map<string, { key: string; enteredAt: string; exitedAt: string | null }>()
  for (const e of events) {
    if (e.audienceKey === null) continue
    if (e.kind === 'audience' && e.status !== 'failed') {
      const open = byKey.get(e.audienceKey)
      if (!open || open.exitedAt !== null)
        byKey.set(e.audienceKey, { key: e.audienceKey, enteredAt: e.receivedAt, exitedAt: null })
    } else if (e.code === 'AUDIENCE_EXITED') {
      const open = byKey.get(e.audienceKey)
      if (open && open.exitedAt === null) open.exitedAt = e.receivedAt
    }
  }
  return [...byKey.values()]
}

/**
 * Orders and their refunds: amounts counting events not failed nor skipped by Perkville's daily limit
 * (delivered or on their way: the others award nothing), points as Perkville recorded them for the
 * delivered ones.
 */
function orders(events: StoredEvent[]): CustomerView['orders'] {
  const byOrder = new Map<string, CustomerView['orders'][number]>()
  for (const e of events) {
    if (e.orderId === null || e.status === 'failed' || e.status === 'skipped') continue
    const o = byOrder.get(e.orderId) ?? {
      orderId: e.orderId,
      awarded: 0,
      refunded: 0,
      pointsAwarded: 0,
      pointsRemoved: 0,
    }
    if (e.kind === 'refund') o.refunded += Math.abs(e.quantity)
    else o.awarded += e.quantity
    const p = perkvillePoints(e) ?? 0
    if (p < 0) o.pointsRemoved -= p
    else o.pointsAwarded += p
    byOrder.set(e.orderId, o)
  }
  return [...byOrder.values()]
}

async function readBalance(destination: Destination, email: string): Promise<CustomerView['balance']> {
  const client = destination.client
  if (!client.findConnections) return { unavailable: 'this Perkville client cannot read balances' }
  let timer: NodeJS.Timeout | undefined
  try {
    const found = await Promise.race([
      client.findConnections(destination.settings.businessId, email),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('Perkville did not answer within 3 s')), BALANCE_TIMEOUT_MS)
      }),
    ])
    const match = found.find((c) => typeof c.point_balance === 'number')
    return match
      ? { points: match.point_balance }
      : { unavailable: 'Perkville has no customer with this email' }
  } catch (err) {
    // The client's errors name the URL without the token; nothing else is quoted.
    return { unavailable: `Perkville could not be read: ${err instanceof Error ? err.message : String(err)}` }
  } finally {
    clearTimeout(timer)
  }
}
