import { request as httpRequest } from 'node:http'
import { gzipSync } from 'node:zlib'
import { Analytics } from '@segment/analytics-node'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { eventually } from '../service/helpers.js'
import {
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

let svc: TestService

beforeAll(async () => {
  svc = await startTestService()
})
afterAll(async () => {
  await svc?.close()
})

const deliveredTo = (email: string) => svc.sandbox.transactions().filter((tx) => tx.email === email)
const waitDelivered = (email: string, count = 1) =>
  eventually(
    () => (deliveredTo(email).length >= count ? deliveredTo(email) : undefined),
    10_000,
    `${count} award(s) for ${email}`,
  )

describe('@segment/analytics-node pointed at the service', () => {
  test('tracks sent one by one and as a batch are accepted and delivered to Perkville', async () => {
    const analytics = new Analytics({
      writeKey: WRITE_KEY,
      host: svc.url,
      flushAt: 3,
      flushInterval: 20,
      maxRetries: 0,
    })
    const errors: unknown[] = []
    analytics.on('error', (err) => errors.push(err))
    for (let i = 0; i < 5; i++) {
      analytics.track({
        userId: `node-${i}`,
        event: 'Checked In',
        properties: { email: `node-${i}@example.com` },
      })
    }
    analytics.track({
      userId: 'node-order',
      event: 'Order Completed',
      properties: { email: 'node-order@example.com', order_id: 'N-1', revenue: 12.5 },
    })
    await analytics.closeAndFlush({ timeout: 10_000 })
    expect(errors).toEqual([])

    for (let i = 0; i < 5; i++) {
      const [tx] = await waitDelivered(`node-${i}@example.com`)
      expect(tx).toMatchObject({ perk: 3001, quantity: 1 })
      // analytics-node gives every event a messageId, which becomes the external id.
      expect(tx?.trans_source_id).toMatch(/^node-/)
    }
    const [order] = await waitDelivered('node-order@example.com')
    expect(order).toMatchObject({ perk: 3002, quantity: 12.5 })
  })
})

describe('analytics.js wire format', () => {
  test('/v1/t with text/plain and the write key in the body is accepted and delivered', async () => {
    const event = { ...checkIn('browser-t@example.com'), writeKey: WRITE_KEY }
    delete (event as { type?: string }).type
    const res = await post(`${svc.url}/v1/t`, JSON.stringify(event), {
      'content-type': 'text/plain;charset=UTF-8',
    })
    expect(res.status).toBe(200)
    expect(res.json).toEqual({ success: true })
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    await waitDelivered('browser-t@example.com')

    // The type came from the path, and the write key was not stored with the event.
    const found = await getJson(`${svc.url}/admin/events?messageId=${encodeURIComponent(event.messageId)}`)
    const stored = (found.json.events as Array<{ payload: Record<string, unknown> }>)[0]
    expect(stored?.payload.type).toBe('track')
    expect(stored?.payload).not.toHaveProperty('writeKey')
  })

  test('/v1/b batch with text/plain and the write key in the body is accepted and delivered', async () => {
    const body = {
      batch: [checkIn('browser-b1@example.com'), checkIn('browser-b2@example.com')],
      writeKey: OTHER_WRITE_KEY,
      sentAt: new Date().toISOString(),
    }
    const res = await post(`${svc.url}/v1/b`, JSON.stringify(body), { 'content-type': 'text/plain' })
    expect(res.status).toBe(200)
    await waitDelivered('browser-b1@example.com')
    await waitDelivered('browser-b2@example.com')
  })

  test('a body without any Content-Type is parsed as JSON too', async () => {
    const res = await fetch(`${svc.url}/v1/track`, {
      method: 'POST',
      headers: AUTH,
      body: new Blob([JSON.stringify(checkIn('no-type@example.com'))]),
    })
    expect(res.status).toBe(200)
    await waitDelivered('no-type@example.com')
  })

  test('CORS preflight is answered for any origin with POST and the headers browsers send', async () => {
    const res = await fetch(`${svc.url}/v1/t`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://shop.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,authorization',
      },
    })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('access-control-allow-methods')).toContain('POST')
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type')
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization')
  })
})

describe('single-event paths', () => {
  test('every long and short path takes the event type from the path when the body has none', async () => {
    const paths = ['track', 'identify', 'page', 'screen', 'group', 'alias', 't', 'i', 'p', 's', 'g', 'a']
    type Refusals = { skipped: Record<string, number>; rejected: Record<string, number> }
    const before = (await getJson(`${svc.url}/admin/dropped`)).json as Refusals
    for (const path of paths) {
      const { type: _type, ...event } = checkIn(`path-${path}@example.com`)
      const res = await post(`${svc.url}/v1/${path}`, event, AUTH)
      expect(res.status, path).toBe(200)
    }
    // The two track paths award points; the two identify paths are skipped (no audience in them) and the
    // eight others (page, screen, group, alias) are rejected at the door.
    await waitDelivered('path-track@example.com')
    await waitDelivered('path-t@example.com')
    const after = (await getJson(`${svc.url}/admin/dropped`)).json as Refusals
    const grew = (kind: keyof Refusals, code: string) => (after[kind][code] ?? 0) - (before[kind][code] ?? 0)
    expect(grew('rejected', 'UNSUPPORTED_EVENT_TYPE')).toBe(8)
    expect(grew('skipped', 'NOT_AN_AUDIENCE')).toBe(2)
  })
})

describe('batches', () => {
  test('batch-level context and integrations merge into each event; the event’s own keys win', async () => {
    const own = checkIn('own@example.com', {
      context: { traits: { email: 'own-trait@example.com' }, locale: 'fr' },
    })
    const bare = { ...checkIn('ignored@example.com'), properties: {} }
    const body = {
      batch: [own, bare],
      context: { traits: { email: 'from-batch@example.com' }, locale: 'en', app: { name: 'shop' } },
      integrations: { All: true },
    }
    expect((await post(`${svc.url}/v1/batch`, body, AUTH)).status).toBe(200)
    // The bare event had no email of its own: it gets the batch's context.traits.email.
    await waitDelivered('from-batch@example.com')
    await waitDelivered('own@example.com')
    const found = await getJson(`${svc.url}/admin/events?messageId=${encodeURIComponent(own.messageId)}`)
    const payload = (found.json.events as Array<{ payload: Record<string, Record<string, unknown>> }>)[0]
      ?.payload
    expect(payload?.context).toEqual({
      traits: { email: 'own-trait@example.com' },
      locale: 'fr',
      app: { name: 'shop' },
    })
    expect(payload?.integrations).toEqual({ All: true })
  })

  test('/v1/import is an alias of /v1/batch and gzip bodies are accepted', async () => {
    const body = gzipSync(JSON.stringify({ batch: [checkIn('gzip@example.com')] }))
    const res = await post(`${svc.url}/v1/import`, body, { ...AUTH, 'content-encoding': 'gzip' })
    expect(res.status).toBe(200)
    await waitDelivered('gzip@example.com')
  })
})

describe('limits and errors', () => {
  const expectError = (res: Awaited<ReturnType<typeof post>>, status: number, pattern: RegExp) => {
    expect(res.status).toBe(status)
    expect(res.json?.success).toBe(false)
    expect(String(res.json?.error)).toMatch(pattern)
  }

  test('a single event over 32 KB is refused naming the per-event limit', async () => {
    const res = await post(
      `${svc.url}/v1/track`,
      checkIn('big@example.com', { padding: 'x'.repeat(33 * 1024) }),
      AUTH,
    )
    expectError(res, 400, /32 KB per-event limit/)
  })

  test('an event over 32 KB inside a batch is refused naming the limit and its index', async () => {
    const batch = [checkIn('ok@example.com'), checkIn('big2@example.com', { padding: 'x'.repeat(33 * 1024) })]
    const res = await post(`${svc.url}/v1/batch`, { batch }, AUTH)
    expectError(res, 400, /batch\[1\].*32 KB per-event limit/)
  })

  test('a request over 500 KB is refused naming the 500 KB limit', async () => {
    const batch = Array.from({ length: 20 }, (_, i) =>
      checkIn(`r${i}@example.com`, { padding: 'x'.repeat(30 * 1024) }),
    )
    const res = await post(`${svc.url}/v1/batch`, { batch }, AUTH)
    expectError(res, 400, /500 KB batch request limit/)
  })

  test('a request larger than the server reads at all still gets a JSON 400 naming 500 KB', async () => {
    const body = Buffer.from(JSON.stringify({ batch: [{ padding: 'x'.repeat(3 * 1024 * 1024) }] }))
    const res = await rawPost('/v1/batch', body, { 'content-type': 'application/json', ...AUTH })
    expect(res.status).toBe(400)
    expect(JSON.parse(res.body).error).toMatch(/500 KB batch request limit/)
  })

  test('a gzip body that inflates past 500 KB is refused', async () => {
    const body = gzipSync(JSON.stringify({ batch: [{ padding: 'x'.repeat(2 * 1024 * 1024) }] }))
    expect(body.length).toBeLessThan(100_000)
    const res = await post(`${svc.url}/v1/batch`, body, { ...AUTH, 'content-encoding': 'gzip' })
    expectError(res, 400, /500 KB batch request limit/)
  })

  test('more than 2,500 events are refused naming the event-count limit', async () => {
    const batch = Array.from({ length: 2501 }, () => ({ type: 'track' }))
    const res = await post(`${svc.url}/v1/batch`, { batch }, AUTH)
    expectError(res, 400, /2501 events.*2500 events per batch/)
  })

  test('invalid JSON is a 400 saying so, without quoting the body', async () => {
    const res = await post(`${svc.url}/v1/t`, `{"writeKey":"${WRITE_KEY}", "event": }`, {
      'content-type': 'text/plain',
    })
    expectError(res, 400, /^invalid JSON at line 1, column \d+ \(byte offset \d+\): /)
    expect(res.text).not.toContain(WRITE_KEY)
  })

  test('a batch body without a batch array is a 400', async () => {
    expectError(await post(`${svc.url}/v1/batch`, { events: [] }, AUTH), 400, /"batch" must be an array/)
  })

  test('no write key, a wrong one, or the wrong password scheme is a 401', async () => {
    expectError(await post(`${svc.url}/v1/track`, checkIn('a@example.com')), 401, /write key is required/)
    const wrong = { authorization: `Basic ${Buffer.from('not-a-key:').toString('base64')}` }
    expectError(await post(`${svc.url}/v1/track`, checkIn('a@example.com'), wrong), 401, /not valid/)
    expectError(
      await post(`${svc.url}/v1/batch`, { batch: [checkIn('a@example.com')], writeKey: 'nope' }),
      401,
      /not valid/,
    )
    expectError(
      await post(`${svc.url}/v1/track`, checkIn('a@example.com'), { authorization: `Bearer ${WRITE_KEY}` }),
      401,
      /write key/,
    )
    expect(deliveredTo('a@example.com')).toEqual([])
  })

  test('every answer counts in /metrics by route and status', async () => {
    const text = await (await fetch(`${svc.url}/metrics`)).text()
    expect(text).toMatch(
      /perkville_http_requests_total\{route="\/v1\/batch",method="POST",status="400"\} [1-9]/,
    )
    expect(text).toMatch(
      /perkville_http_requests_total\{route="\/v1\/track",method="POST",status="401"\} [1-9]/,
    )
  })

  test('no write key or admin token ever reaches the log', async () => {
    // Debug level logs every answer; the requests above sent keys by Basic, in bodies and in bad JSON.
    expect(svc.logs.length).toBeGreaterThan(10)
    const all = svc.logs.join('')
    expect(all).not.toContain(WRITE_KEY)
    expect(all).not.toContain(OTHER_WRITE_KEY)
    expect(all).not.toContain(ADMIN_TOKEN)
    expect(all).not.toContain(Buffer.from(`${WRITE_KEY}:`).toString('base64'))
    expect(all).not.toContain(svc.sandbox.token)
  })
})

/** A POST with node:http, tolerating the server answering before the whole body was sent. */
function rawPost(path: string, body: Buffer, headers: Record<string, string>) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest(`${svc.url}${path}`, {
      method: 'POST',
      headers: { ...headers, 'content-length': body.length },
    })
    req.on('response', (res) => {
      let text = ''
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8')
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
    })
    req.on('error', reject)
    req.end(body)
  })
}
