import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type {
  CustomerView,
  DeliveryStats,
  ErrorGroup,
  EventDetail,
  EventListItem,
  Overview,
  TestEventResult,
} from '../../src/pipeline/service-api.js'
import { eventually } from '../service/helpers.js'
import {
  ADMIN,
  ADMIN_TOKEN,
  AUTH,
  checkIn,
  getJson,
  OTHER_WRITE_KEY,
  post,
  startTestService,
  type TestService,
  WRITE_KEY,
} from './fixture.js'

// The console's admin API (issue 13) in-process on SQLite: one customer with a delivered, a skipped
// and a rejected event, another with a parked event (a perk Perkville does not know) and an order
// the order rule fails (the same order twice).
let svc: TestService
const started = Date.now()
const run = `${process.pid}-${started}`
const EMAIL = `console-${run}@example.com`
const OTHER = `console-fail-${run}@example.com`
const delivered = checkIn(EMAIL)
const skipped = {
  type: 'track',
  event: 'Order Completed',
  userId: 'console-user',
  messageId: `console-skip-${run}`,
  properties: { email: EMAIL, order_id: `ORD-SKIP-${run}`, revenue: 0 },
}
const rejected = { ...checkIn(EMAIL.toUpperCase()), event: 'Not In The Map' }
const parking = { ...checkIn(OTHER), event: 'Unknown Perk' }
const order = {
  type: 'track',
  event: 'Order Completed',
  userId: 'console-other',
  messageId: `console-order-${run}`,
  properties: { email: OTHER, order_id: `ORD-${run}`, revenue: 20 },
}
const again = { ...order, messageId: `console-order-again-${run}` }
let range: { from: number; to: number }

type Page = { events: EventListItem[]; nextCursor: string | null }
async function search(query: string): Promise<Page> {
  const res = await getJson(`${svc.url}/admin/events?${query}`)
  expect(res.status).toBe(200)
  return res.json as unknown as Page
}
const byMessage = (page: Page) => new Map(page.events.map((e) => [e.messageId, e]))

beforeAll(async () => {
  svc = await startTestService()
  const batch = [delivered, skipped, rejected, parking, order, again]
  const res = await post(`${svc.url}/v1/batch`, { batch }, AUTH)
  expect(res.status).toBe(200)
  await eventually(
    async () => {
      const page = await search(`status=parked&q=${encodeURIComponent(OTHER)}`)
      const done = await search(`status=delivered`)
      return page.events.length === 1 && done.events.length === 2 ? true : undefined
    },
    15_000,
    'two deliveries and one parked event',
  )
  range = { from: started - 60_000, to: Date.now() + 60_000 }
})
let closed = false
afterAll(async () => {
  if (!closed) await svc?.close()
})

describe('search', () => {
  test('an email (any case) finds the delivered, the skipped and the rejected event with their codes', async () => {
    const page = await search(`q=${encodeURIComponent(EMAIL.toUpperCase())}`)
    const found = byMessage(page)
    expect(page.events).toHaveLength(3)
    expect(found.get(delivered.messageId)).toMatchObject({ status: 'delivered', code: null, kind: 'event' })
    expect(found.get(skipped.messageId)).toMatchObject({
      status: 'skipped',
      code: 'ZERO_AMOUNT',
      orderId: `ORD-SKIP-${run}`,
      email: EMAIL,
      eventName: 'Order Completed',
      writeKeySource: 'write key 1',
    })
    expect(found.get(rejected.messageId)).toMatchObject({
      status: 'rejected',
      code: 'EVENT_NOT_ALLOWLISTED',
      id: expect.stringMatching(/^r\d+$/),
    })
    // Newest first, a refusal's payload as received (no write key).
    expect(found.get(skipped.messageId)?.payload).toMatchObject({ properties: { revenue: 0 } })
  })

  test('an order id and a messageId find their event; filters narrow by status, code and kind', async () => {
    expect((await search(`q=ORD-SKIP-${run}`)).events.map((e) => e.messageId)).toEqual([skipped.messageId])
    expect((await search(`q=${rejected.messageId}`)).events.map((e) => e.status)).toEqual(['rejected'])
    const q = `q=${encodeURIComponent(EMAIL)}`
    expect((await search(`${q}&status=skipped`)).events.map((e) => e.code)).toEqual(['ZERO_AMOUNT'])
    expect((await search(`${q}&code=EVENT_NOT_ALLOWLISTED`)).events.map((e) => e.messageId)).toEqual([
      rejected.messageId,
    ])
    expect((await search(`${q}&kind=event`)).events.map((e) => e.messageId)).toEqual([delivered.messageId])
    expect((await search(`${q}&from=${Date.now() + 3_600_000}`)).events).toEqual([])
  })

  test('a userId finds the events its sender tied to it, refused and accepted, each showing its ids', async () => {
    // The email filter keeps to this run's events (the userIds are the same in every run).
    const refusedPage = await search(`q=console-user&email=${encodeURIComponent(EMAIL)}`)
    expect(refusedPage.events.map((e) => e.messageId)).toEqual([skipped.messageId])
    expect(refusedPage.events[0]).toMatchObject({ userId: 'console-user', anonymousId: null })
    const acceptedPage = await search(`q=console-other&email=${encodeURIComponent(OTHER)}`)
    expect(acceptedPage.events.map((e) => e.messageId).sort()).toEqual(
      [order.messageId, again.messageId].sort(),
    )
    const detail = await getJson(`${svc.url}/admin/events/${acceptedPage.events[0]!.id}`)
    expect(detail.json).toMatchObject({ userId: 'console-other', anonymousId: null })
    expect((await search(`q=console&email=${encodeURIComponent(EMAIL)}`)).events).toEqual([])
  })

  test('keyset pages walk accepted and refused events once each', async () => {
    const q = `q=${encodeURIComponent(EMAIL)}`
    const first = await search(`${q}&limit=2`)
    expect(first.nextCursor).not.toBeNull()
    const second = await search(`${q}&limit=2&cursor=${encodeURIComponent(first.nextCursor!)}`)
    expect(second.nextCursor).toBeNull()
    const ids = [...first.events, ...second.events].map((e) => e.id)
    expect(new Set(ids).size).toBe(3)
    const bad = await getJson(`${svc.url}/admin/events?cursor=bm9wZQ`)
    expect(bad.status).toBe(400)
  })
})

describe('one event', () => {
  test('a refused event opens to its payload, its door decision and a timeline', async () => {
    const [hit] = (await search(`q=${rejected.messageId}`)).events
    const res = await getJson(`${svc.url}/admin/events/${hit!.id}`)
    expect(res.status).toBe(200)
    const detail = res.json as unknown as EventDetail
    expect(detail.payload).toMatchObject({ event: 'Not In The Map' })
    expect(detail.decisions).toEqual([
      expect.objectContaining({ outcome: 'reject', code: 'EVENT_NOT_ALLOWLISTED', transaction: null }),
    ])
    expect(detail.attemptLog).toEqual([])
    expect(detail.timeline.map((t) => t.what)).toEqual([
      'received',
      'rejected at the door: EVENT_NOT_ALLOWLISTED',
    ])
    expect((await getJson(`${svc.url}/admin/events/r999999`)).status).toBe(404)
    // Refused at the door: nothing to retry (send it again instead).
    const retry = await post(`${svc.url}/admin/events/${hit!.id}/retry`, '', ADMIN)
    expect(retry.status).toBe(409)
    expect(retry.json).toMatchObject({ code: 'NOT_RETRYABLE' })
  })

  test('an accepted event opens to its transaction, attempts (token redacted) and timeline', async () => {
    const [hit] = (await search(`q=${delivered.messageId}`)).events
    const detail = (await getJson(`${svc.url}/admin/events/${hit!.id}`)).json as unknown as EventDetail
    expect(detail.decisions[0]).toMatchObject({
      outcome: 'queue',
      transaction: { email: EMAIL, perkId: '3001' },
    })
    expect(detail.attemptLog.length).toBeGreaterThanOrEqual(1)
    expect(detail.timeline.map((t) => t.what)).toContain('delivered')
    expect(JSON.stringify(detail)).not.toContain(svc.sandbox.token)
  })
})

describe('overview and errors', () => {
  test('the funnel counts every event of the range once, skips apart from errors', async () => {
    const res = await getJson(`${svc.url}/admin/overview?from=${range.from}&to=${range.to}`)
    expect(res.status).toBe(200)
    const o = res.json as unknown as Overview
    expect(o.funnel).toEqual({
      received: 6,
      skipped: 1,
      rejected: 1,
      pending: 0,
      retrying: 0,
      parked: 1,
      delivered: 2,
      failed: 1,
    })
    const sum = (k: 'delivered' | 'notDelivered' | 'skipped') => o.series.reduce((a, p) => a + p[k], 0)
    // Not delivered: the rejected and the order-rule failure; the failure was never sent.
    expect([sum('delivered'), sum('notDelivered'), sum('skipped')]).toEqual([2, 2, 1])
    // The parked event was sent and refused (404): it counts against both, it is not left out.
    expect(o.deliverability).toEqual({ firstTry: 2 / 3, final: 2 / 3 })
    expect(o.latencyMs.p95).not.toBeNull()
    expect(o.queue).toEqual({ depth: 0, oldestWaitingAgeMs: null })
    const empty = (await getJson(`${svc.url}/admin/overview?from=0&to=1000`)).json as unknown as Overview
    expect(empty.funnel.received).toBe(0)
    expect(empty.deliverability).toEqual({ firstTry: null, final: null })
  })

  test('/admin/stats counts the same range as the overview, by reason and code', async () => {
    const q = `from=${range.from}&to=${range.to}`
    const o = (await getJson(`${svc.url}/admin/overview?${q}`)).json as unknown as Overview
    const stats = (await getJson(`${svc.url}/admin/stats?${q}`)).json as unknown as DeliveryStats
    const { funnel } = o
    expect(stats).toMatchObject({
      received: funnel.received,
      delivered: funnel.delivered,
      pending: funnel.pending,
      retrying: funnel.retrying,
      parked: funnel.parked,
      notDelivered: { order_already_awarded: 1, EVENT_NOT_ALLOWLISTED: 1 },
    })
    const total = (m: Record<string, number>) => Object.values(m).reduce((a, n) => a + n, 0)
    expect(total(stats.notDelivered)).toBe(funnel.failed + funnel.rejected)
    expect(total(stats.skipped)).toBe(funnel.skipped)
    const sum = (k: 'delivered' | 'failed' | 'rejected' | 'skipped') =>
      stats.buckets.reduce((a, b) => a + b[k], 0)
    expect([sum('delivered'), sum('failed') + sum('rejected'), sum('skipped')]).toEqual([
      funnel.delivered,
      funnel.failed + funnel.rejected,
      funnel.skipped,
    ])
    expect(stats.errors.find((e) => e.reason === 'order_already_awarded')?.count).toBe(1)
    expect(stats.errors.reduce((a, e) => a + e.count, 0)).toBe(funnel.failed + funnel.parked)
  })

  test('errors group rejects, failures and parked events by code with an action and samples; skips are not errors', async () => {
    const res = await getJson(`${svc.url}/admin/errors?from=${range.from}&to=${range.to}`)
    const { groups } = res.json as unknown as { groups: ErrorGroup[] }
    const codes = groups.map((g) => `${g.kind}:${g.kind === 'parked' ? '*' : g.code}`).sort()
    expect(codes).toEqual(['failure:order_already_awarded', 'parked:*', 'reject:EVENT_NOT_ALLOWLISTED'])
    const parked = groups.find((g) => g.kind === 'parked')!
    expect(parked.samples.map((x) => x.email)).toEqual([OTHER])
    expect(parked.action).toMatch(/settings/)
    const reject = groups.find((g) => g.kind === 'reject')!
    expect(reject).toMatchObject({ count: 1, previousCount: 0 })
    // In the Settings view's words, not the settings file's.
    expect(reject.action).toMatch(/"Events that award a perk" in Settings/)
    expect(reject.samples).toEqual([
      expect.objectContaining({
        id: expect.stringMatching(/^r/),
        email: EMAIL.toUpperCase(),
        eventName: 'Not In The Map',
      }),
    ])
    const later = await getJson(`${svc.url}/admin/errors?from=${range.to}&to=${range.to + 120_000}`)
    expect(later.json).toEqual({ groups: [] })
  })

  test('a range must be a range', async () => {
    for (const path of ['/admin/overview?from=later', '/admin/errors?from=10&to=5', '/admin/overview?x=1']) {
      const res = await getJson(`${svc.url}${path}`)
      expect(res.status).toBe(400)
    }
  })
})

describe('customer', () => {
  test('everything for one email: events, points, orders and the Perkville balance', async () => {
    const res = await getJson(`${svc.url}/admin/customers/${encodeURIComponent(EMAIL.toUpperCase())}`)
    expect(res.status).toBe(200)
    const c = res.json as unknown as CustomerView
    expect(c.events.map((e) => e.status).sort()).toEqual(['delivered', 'rejected', 'skipped'])
    // Perkville's points (a check-in is 10 on perk 3001), not the quantity sent (1).
    expect(c.points).toEqual({ awarded: 10, removed: 0, unknown: 0 })
    expect(c.quantities).toEqual({ awarded: 1, removed: 0 })
    expect(c.orders).toEqual([])
    expect(c.balance).toEqual({ points: expect.any(Number) })
    const nobody = (await getJson(`${svc.url}/admin/customers/nobody-${run}%40example.com`))
      .json as unknown as CustomerView
    expect(nobody.events).toEqual([])
    expect(nobody.balance).toHaveProperty('unavailable')
  })

  test('the longest valid email (254 characters) is found after it was delivered', async () => {
    // Issue 22 item 6: a 101–254-character address was delivered but its lookup answered 414.
    const local = `longest-${run}+`.padEnd(64, 'x')
    const email = `${`${local}@${'d'.repeat(63)}.${'e'.repeat(63)}.`.padEnd(250, 'f')}.com`
    expect(email).toHaveLength(254)
    const res = await post(`${svc.url}/v1/track`, checkIn(email), AUTH)
    expect(res.status).toBe(200)
    const path = `${svc.url}/admin/customers/${encodeURIComponent(email)}`
    await eventually(
      async () => {
        const c = await getJson(path)
        expect(c.status).toBe(200)
        const view = c.json as unknown as CustomerView
        return view.events.some((e) => e.status === 'delivered') ? true : undefined
      },
      15_000,
      'the 254-character customer delivered',
    )
    const tooLong = await getJson(`${svc.url}/admin/customers/${'a'.repeat(250)}%40b.com`)
    expect(tooLong.status).toBe(400)
  })
})

describe('refused events decided again', () => {
  test('POST /admin/refused/redecide previews with dryRun, and refuses unknown fields', async () => {
    const preview = await post(`${svc.url}/admin/refused/redecide`, { q: EMAIL, dryRun: true }, ADMIN)
    expect(preview.status).toBe(200)
    expect(preview.json).toEqual({ matched: 1, wouldSend: 0, stillRefused: { EVENT_NOT_ALLOWLISTED: 1 } })
    const bad = await post(`${svc.url}/admin/refused/redecide`, { status: 'failed' }, ADMIN)
    expect(bad.status).toBe(400)
    expect((await fetch(`${svc.url}/admin/refused/redecide`, { method: 'POST' })).status).toBe(401)
  })
})

describe('event tester', () => {
  test('decides with the current settings, and sends through intake when asked', async () => {
    const decideOnly = await post(
      `${svc.url}/admin/test-event`,
      { event: checkIn(`tester-${run}@example.com`) },
      ADMIN,
    )
    expect(decideOnly.status).toBe(200)
    const d = decideOnly.json as unknown as TestEventResult
    expect(d.decision).toMatchObject({ outcome: 'queue', code: null, transaction: { perkId: '3001' } })
    expect(d.sent).toBeUndefined()
    expect((await search(`q=tester-${run}@example.com`)).events).toEqual([])

    const refused = await post(
      `${svc.url}/admin/test-event`,
      { event: { type: 'track', userId: 'u', event: 'Nope' } },
      ADMIN,
    )
    expect((refused.json as unknown as TestEventResult).decision).toMatchObject({
      outcome: 'reject',
      code: 'EVENT_NOT_ALLOWLISTED',
    })

    const sent = await post(
      `${svc.url}/admin/test-event`,
      {
        event: {
          type: 'track',
          userId: 'u',
          event: 'Checked In',
          properties: { email: `sent-${run}@example.com` },
        },
        send: true,
      },
      ADMIN,
    )
    const s = sent.json as unknown as TestEventResult
    expect(s.sent?.id).toMatch(/^\d+$/)
    const [stored] = (await search(`q=sent-${run}@example.com`)).events
    expect(stored).toMatchObject({ id: s.sent!.id, writeKeySource: 'console' })

    const bad = await post(`${svc.url}/admin/test-event`, { send: true }, ADMIN)
    expect(bad.status).toBe(400)
  })

  test('an event over the 32 KB per-event limit is refused as on the Tracking API, and nothing is stored', async () => {
    // Issue 22 item 13: the tester with send stored a 434 KB event the Tracking API would refuse.
    const email = `huge-${run}@example.com`
    const event = checkIn(email, { properties: { email, blob: 'x'.repeat(434 * 1024) } })
    for (const send of [true, false]) {
      const res = await post(`${svc.url}/admin/test-event`, { event, send }, ADMIN)
      expect(res.status).toBe(400)
      expect(res.json).toMatchObject({
        code: 'EVENT_TOO_LARGE',
        error: expect.stringMatching(/32 KB per-event limit/),
      })
    }
    const viaApi = await post(`${svc.url}/v1/track`, event, AUTH)
    expect(viaApi.status).toBe(400)
    expect(viaApi.json).toMatchObject({ code: 'EVENT_TOO_LARGE' })
    expect((await search(`q=${email}`)).events).toEqual([])
  })
})

describe('replay of a search', () => {
  test('the preview counts the failed events of the filter, and the replay queues those', async () => {
    const q = `q=${encodeURIComponent(OTHER)}&from=${range.from}&to=${range.to}`
    // An order-rule failure is a policy decision: replayed only when its code is asked for.
    expect((await getJson(`${svc.url}/admin/replay/preview?${q}`)).json).toEqual({ count: 0 })
    const byCode = `${q}&code=order_already_awarded`
    expect((await getJson(`${svc.url}/admin/replay/preview?${byCode}`)).json).toEqual({ count: 1 })
    const none = await getJson(`${svc.url}/admin/replay/preview?q=${encodeURIComponent(EMAIL)}`)
    expect(none.json).toEqual({ count: 0 })
    const body = { q: OTHER, code: 'order_already_awarded', from: range.from, to: range.to }
    expect((await post(`${svc.url}/admin/replay`, body, ADMIN)).json).toEqual({ replayed: 1 })
    expect((await getJson(`${svc.url}/admin/replay/preview?${byCode}`)).json).toEqual({ count: 0 })
  })
})

describe('live', () => {
  async function open(query: string) {
    const controller = new AbortController()
    const res = await fetch(`${svc.url}/admin/live${query}`, { headers: ADMIN, signal: controller.signal })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/)
    const reader = res.body!.getReader()
    const decoder = new TextDecoder()
    let text = ''
    return {
      async until(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
        const deadline = Date.now() + timeoutMs
        while (!pattern.test(text)) {
          if (Date.now() > deadline) throw new Error(`no ${pattern} in the stream: ${text.slice(0, 500)}`)
          const { value, done } = await reader.read()
          if (done) throw new Error('the stream ended')
          text += decoder.decode(value, { stream: true })
        }
        return text
      },
      close: () => controller.abort(),
    }
  }

  test('an event sent after the stream opened arrives as an event line; errors=1 keeps only errors', async () => {
    const all = await open('')
    const errorsOnly = await open('?errors=1')
    await all.until(/: live events/)
    await errorsOnly.until(/: live events/)
    const good = checkIn(`live-${run}@example.com`)
    const bad = { ...checkIn(`live-bad-${run}@example.com`), event: 'Not In The Map' }
    await post(`${svc.url}/v1/batch`, { batch: [good] }, AUTH)
    await post(`${svc.url}/v1/batch`, { batch: [bad] }, AUTH)
    const text = await all.until(new RegExp(bad.messageId))
    expect(text).toContain(`"messageId":"${good.messageId}"`)
    expect(text).toMatch(/event: event\ndata: \{/)
    const errors = await errorsOnly.until(new RegExp(bad.messageId))
    expect(errors).not.toContain(good.messageId)
    all.close()
    errorsOnly.close()
  })
})

test('no answer of the console API holds a secret, and each needs the admin token', async () => {
  const paths = [
    `/admin/events?q=${encodeURIComponent(EMAIL)}`,
    `/admin/overview?from=${range.from}&to=${range.to}`,
    `/admin/errors?from=${range.from}&to=${range.to}`,
    `/admin/customers/${encodeURIComponent(EMAIL)}`,
    '/admin/replay/preview',
  ]
  for (const path of paths) {
    const res = await getJson(`${svc.url}${path}`)
    const text = JSON.stringify(res.json)
    for (const secret of [WRITE_KEY, OTHER_WRITE_KEY, ADMIN_TOKEN, svc.sandbox.token])
      expect(text).not.toContain(secret)
    expect((await fetch(`${svc.url}${path}`)).status).toBe(401)
  }
  expect((await fetch(`${svc.url}/admin/live`)).status).toBe(401)
})

test('a live stream ends when the service stops, and does not hold the shutdown', async () => {
  const res = await fetch(`${svc.url}/admin/live`, { headers: ADMIN })
  const reader = res.body!.getReader()
  await reader.read()
  const stopping = svc.close()
  closed = true
  for (;;) {
    const { done } = await reader.read()
    if (done) break
  }
  await stopping
})
