import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { EventRecord } from '../../src/pipeline/service-api.js'
import { eventually } from '../service/helpers.js'
import {
  ADMIN,
  AUTH,
  checkIn,
  getJson,
  post,
  startTestService,
  type TestService,
  WRITE_KEY,
} from './fixture.js'

let svc: TestService
const started = Date.now()
const checked = checkIn('Admin.Customer@Example.com')
const order = {
  type: 'track',
  event: 'Order Completed',
  userId: 'admin-order-user',
  messageId: `admin-order-${process.pid}-${started}`,
  properties: { email: 'admin-order@example.com', order_id: `ORD-${started}`, revenue: 42 },
}
// A perk Perkville does not know: the event parks, waiting for a settings fix.
const failing = { ...checkIn('admin-fail@example.com'), event: 'Unknown Perk' }
// The same order again under another messageId: the order rule fails it at once.
const again = { ...order, messageId: `admin-order-again-${process.pid}-${started}` }
const notAllowed = { ...checkIn('admin-drop@example.com'), event: 'Not In The Map' }

async function events(query: string) {
  const res = await getJson(`${svc.url}/admin/events?${query}`)
  expect(res.status).toBe(200)
  return res.json as unknown as { events: EventRecord[]; nextCursor: string | null }
}

beforeAll(async () => {
  svc = await startTestService()
  const res = await post(`${svc.url}/v1/batch`, { batch: [checked, order, failing, notAllowed, again] }, AUTH)
  expect(res.status).toBe(200)
  await eventually(
    async () => {
      const parked = await events('status=parked')
      const delivered = await events('status=delivered')
      return parked.events.length >= 1 && delivered.events.length >= 2 ? true : undefined
    },
    15_000,
    'two deliveries and one parked event',
  )
})
afterAll(async () => {
  await svc?.close()
})

describe('authentication', () => {
  test.each([
    ['no header', {}],
    ['a wrong token', { authorization: 'Bearer wrong-token-123' }],
    ['a write key', AUTH],
    ['the token as Basic', { authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}` }],
  ])('%s is a 401', async (_name, headers) => {
    for (const path of ['/admin/stats', '/admin/events', '/admin/credentials', '/admin/dropped']) {
      const res = await fetch(`${svc.url}${path}`, { headers })
      expect(res.status).toBe(401)
      expect(((await res.json()) as { success: boolean }).success).toBe(false)
    }
  })
})

describe('queries', () => {
  test('stats for a range count delivered, not delivered by reason, and latency', async () => {
    const res = await getJson(
      `${svc.url}/admin/stats?from=${started - 60_000}&to=${new Date(Date.now() + 60_000).toISOString()}&bucket=1m`,
    )
    expect(res.status).toBe(200)
    expect(res.json.delivered).toBe(2)
    expect(res.json.parked).toBe(1)
    expect(res.json.notDelivered).toMatchObject({ order_already_awarded: 1, EVENT_NOT_ALLOWLISTED: 1 })
    expect(
      Object.values(res.json.notDelivered as Record<string, number>).reduce((a, b) => a + b, 0),
    ).toBeGreaterThanOrEqual(1)
    expect((res.json.latencyMs as { p95: number | null }).p95).not.toBeNull()
    expect(Array.isArray(res.json.buckets)).toBe(true)
  })

  test('events are searchable by status, email (any case), messageId and order id', async () => {
    const delivered = await events('status=delivered')
    expect(delivered.events.map((e) => e.messageId).sort()).toEqual(
      [checked.messageId, order.messageId].sort(),
    )
    const byEmail = await events('email=admin.customer@example.com')
    expect(byEmail.events.map((e) => e.messageId)).toEqual([checked.messageId])
    const byMessage = await events(`messageId=${encodeURIComponent(order.messageId)}`)
    expect(byMessage.events).toHaveLength(1)
    const byOrder = await events(`orderId=${encodeURIComponent(order.properties.order_id)}`)
    expect(byOrder.events.map((e) => e.messageId)).toEqual([again.messageId, order.messageId])
    const parked = await events('status=parked')
    expect(parked.events.map((e) => e.messageId)).toEqual([failing.messageId])
    const failed = await events('status=failed')
    expect(failed.events.map((e) => e.messageId)).toEqual([again.messageId])
    const none = await events(`from=${Date.now() + 3_600_000}`)
    expect(none.events).toEqual([])
  })

  test('paging with limit and cursor walks every event once, the refused one too', async () => {
    const all: EventRecord[] = []
    let page = await events('limit=2')
    all.push(...page.events)
    while (page.nextCursor !== null) {
      expect(page.events).toHaveLength(2)
      page = await events(`limit=2&cursor=${encodeURIComponent(page.nextCursor)}`)
      all.push(...page.events)
    }
    expect(new Set(all.map((e) => e.id)).size).toBe(5)
    expect(all.filter((e) => e.status === 'rejected').map((e) => e.messageId)).toEqual([notAllowed.messageId])
  })

  test('one event comes with its attempts: the request sent (token redacted) and the answer', async () => {
    const [parked] = (await events('status=parked')).events
    const res = await getJson(`${svc.url}/admin/events/${parked!.id}`)
    expect(res.status).toBe(200)
    const record = res.json as unknown as EventRecord
    expect(record.failureReason).toBe('unknown_perk')
    expect(record.lastError).toMatch(/perk 9999 .*Correct the settings in Settings/)
    expect(record.decisions).toEqual([
      expect.objectContaining({ outcome: 'queue', transaction: expect.objectContaining({ perkId: '9999' }) }),
    ])
    expect(record.attemptLog.length).toBeGreaterThanOrEqual(1)
    const attempt = record.attemptLog[0]!
    expect(attempt.request).toMatchObject({
      method: 'POST',
      body: { perk: 9999, email: 'admin-fail@example.com' },
    })
    expect(attempt.response).toMatchObject({ status: 404 })
    expect(JSON.stringify(record)).not.toContain(svc.sandbox.token)
    expect((await getJson(`${svc.url}/admin/events/999999`)).status).toBe(404)
  })

  test('bad query parameters are 400s that say what is wrong', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/admin/events?status=lost', /status must be one of/],
      ['/admin/events?limit=0', /limit must be an integer/],
      ['/admin/events?from=yesterday', /from must be an ISO 8601 time or epoch milliseconds/],
      ['/admin/events?colour=red', /unknown query parameter\(s\): colour/],
      ['/admin/stats?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', /must be before/],
      ['/admin/stats?bucket=soon', /bucket must be a duration/],
    ]
    for (const [path, pattern] of cases) {
      const res = await getJson(`${svc.url}${path}`)
      expect(res.status, path).toBe(400)
      expect(String(res.json.error), path).toMatch(pattern)
    }
  })
})

describe('actions', () => {
  test('retry puts a parked event back in the queue; a delivered one cannot be retried', async () => {
    const [parked] = (await events('status=parked')).events
    const res = await post(`${svc.url}/admin/events/${parked!.id}/retry`, '', ADMIN)
    expect(res.status).toBe(200)
    expect(res.json).toEqual({ retried: true, id: parked!.id })
    // It parks again (the perk still does not exist), now with two attempts.
    const twice = await eventually(async () => {
      const record = (await getJson(`${svc.url}/admin/events/${parked!.id}`)).json as unknown as EventRecord
      return record.status === 'parked' && record.attemptLog.length >= 2 ? record : undefined
    })
    expect(twice.attempts).toBeGreaterThanOrEqual(2)
    // Releasing every parked event takes it back too.
    expect((await post(`${svc.url}/admin/parked/release`, '', ADMIN)).json).toEqual({ released: 1 })

    const [delivered] = (await events('status=delivered')).events
    const refused = await post(`${svc.url}/admin/events/${delivered!.id}/retry`, '', ADMIN)
    expect(refused.status).toBe(409)
    expect((await post(`${svc.url}/admin/events/424242/retry`, '', ADMIN)).status).toBe(404)
  })

  test('replay requeues the failed events of a range', async () => {
    const range = { from: started - 60_000, to: new Date(Date.now() + 60_000).toISOString() }
    // Order-rule failures are policy, replayed only when asked by name.
    expect((await post(`${svc.url}/admin/replay`, range, ADMIN)).json).toEqual({ replayed: 0 })
    const res = await post(`${svc.url}/admin/replay`, { ...range, reason: 'order_already_awarded' }, ADMIN)
    expect(res.status).toBe(200)
    expect(res.json).toEqual({ replayed: 1 })
    const empty = await post(`${svc.url}/admin/replay`, { from: 0, to: 1000 }, ADMIN)
    expect(empty.json).toEqual({ replayed: 0 })
    const bad = await post(`${svc.url}/admin/replay`, { from: 'then' }, ADMIN)
    expect(bad.status).toBe(400)
    expect(String(bad.json?.error)).toMatch(/from must be.*to must be/)
  })

  test('credentials state and dropped events are shown', async () => {
    const credentials = await getJson(`${svc.url}/admin/credentials`)
    expect(credentials.json).toMatchObject({ state: 'ok' })
    const dropped = await getJson(`${svc.url}/admin/dropped`)
    expect((dropped.json.rejected as Record<string, number>).EVENT_NOT_ALLOWLISTED).toBe(1)
    expect(dropped.json.skipped).toEqual({})
    const samples = dropped.json.samples as Array<{ code: string; messageId: string | null }>
    expect(samples).toContainEqual(
      expect.objectContaining({ code: 'EVENT_NOT_ALLOWLISTED', messageId: notAllowed.messageId }),
    )
  })

  test('open health says only whether the service is healthy; the admin API shows the credentials without secrets', async () => {
    // The fixture's map has a perk Perkville does not know (9999): the settings check fails.
    const details = await fetch(`${svc.url}/admin/health`, { headers: ADMIN })
    const body = await details.text()
    expect(JSON.parse(body)).toMatchObject({
      status: 'ok',
      healthy: false,
      credentials: { state: 'ok' },
      settings: { state: 'problem', failed: ['perk 9999 ("Unknown Perk")'] },
    })
    const health = await fetch(`${svc.url}/healthz`)
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ status: 'ok', healthy: false, shuttingDown: false })
    expect((await fetch(`${svc.url}/admin/health`)).status).toBe(401)
    expect(body).not.toContain(svc.sandbox.token)
    expect((await fetch(`${svc.url}/readyz`)).status).toBe(200)
  })
})
