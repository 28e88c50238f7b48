import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  DEFAULT_READONLY_TOKEN,
  type RunningSandbox,
  type SandboxSeed,
  startSandbox,
} from '../../src/sandbox/index.js'

/** Two businesses so cross-business references can be refused. */
const seed: SandboxSeed = {
  businesses: [
    {
      id: 1001,
      name: 'Sandbox Fitness',
      locations: [
        { id: 2001, name: 'Downtown' },
        { id: 2002, name: 'Uptown' },
        { id: 2003, name: 'Harbour' },
      ],
      perks: [
        { id: 3001, title: 'Check-in', kind: 'visit', pointsPerUnit: 10 },
        { id: 3002, title: 'Spend', kind: 'spend', pointsPerUnit: 1 },
        { id: 3004, title: 'Double spend', kind: 'spend', pointsPerUnit: 2.5 },
      ],
    },
    {
      id: 1002,
      name: 'Other Gym',
      locations: [{ id: 2101, name: 'Elsewhere' }],
      perks: [{ id: 3101, title: 'Visit', kind: 'visit', pointsPerUnit: 1 }],
    },
  ],
}

let sb: RunningSandbox
const auth = () => ({ authorization: `Bearer ${sb.token}` })

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = auth()) {
  const res = await fetch(new URL(path, sb.url), {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  })
  const text = await res.text()
  let json: unknown = null
  try {
    json = JSON.parse(text)
  } catch {
    json = text
  }
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
  return { status: res.status, headers: res.headers, body: json as any }
}

const control = (method: string, path: string, body?: unknown) =>
  api(method, new URL(path, sb.origin).href, body, {})

const post = (over: Record<string, unknown> = {}) =>
  api('POST', 'transactions/', {
    business: 1001,
    location: 2001,
    perk: 3002,
    email: 'ann@example.com',
    quantity: 9.99,
    send_email: false,
    trans_source_id: `ext-${Math.random()}`,
    transaction_dt: '2026-11-23T10:00:00Z',
    ...over,
  })

beforeAll(async () => {
  sb = await startSandbox({ seed })
})
afterAll(async () => {
  await sb.close()
})
beforeEach(() => {
  sb.setFaults({})
  sb.setBehaviour({})
  sb.reset()
})

describe('auth', () => {
  it('answers 401 with an OAuth-style error without a token or with a wrong one', async () => {
    const none = await api('GET', 'businesses/1001/', undefined, {})
    expect(none.status).toBe(401)
    expect(none.body.error).toBe('invalid_token')
    expect(none.headers.get('www-authenticate')).toContain('Bearer')
    const wrong = await api('GET', 'businesses/1001/', undefined, { authorization: 'Bearer nope' })
    expect(wrong.status).toBe(401)
    expect(wrong.body).toMatchObject({ error: 'invalid_token' })
    const basic = await api('GET', 'businesses/1001/', undefined, { authorization: `Basic ${sb.token}` })
    expect(basic.status).toBe(401)
  })

  it('accepts the default token and applies scopes', async () => {
    expect(sb.token).toBe('sandbox-token')
    expect((await api('GET', 'businesses/1001/')).status).toBe(200)
    const ro = { authorization: `Bearer ${DEFAULT_READONLY_TOKEN}` }
    expect((await api('GET', 'businesses/1001/', undefined, ro)).status).toBe(200)
    expect((await api('GET', 'perks/?business=1001', undefined, ro)).status).toBe(200)
    const denied = await api('GET', 'connections/?business=1001', undefined, ro)
    expect(denied.status).toBe(403)
    expect(denied.body.error).toBe('insufficient_scope')
    expect((await api('GET', 'transactions/?business=1001', undefined, ro)).status).toBe(403)
  })
})

describe('businesses, locations, perks', () => {
  it('reads a business and 404s an unknown one', async () => {
    const ok = await api('GET', 'businesses/1001/')
    expect(ok.body).toEqual({
      id: 1001,
      name: 'Sandbox Fitness',
      timezone: 'America/New_York',
      resource_uri: '/v2/businesses/1001/',
    })
    expect((await api('GET', 'businesses/9/')).status).toBe(404)
    expect((await api('GET', 'businesses/abc/')).status).toBe(404)
    expect((await api('GET', 'businesses/1001')).status).toBe(404)
  })

  it('filters locations by business and paginates with meta.next / previous', async () => {
    const page1 = await api('GET', 'locations/?business=1001&limit=2')
    expect(page1.body.meta).toEqual({
      limit: 2,
      next: '/v2/locations/?business=1001&limit=2&offset=2',
      offset: 0,
      previous: null,
      total_count: 3,
    })
    expect(page1.body.objects.map((l: { id: number }) => l.id)).toEqual([2001, 2002])
    expect(page1.body.objects[0]).toEqual({
      id: 2001,
      name: 'Downtown',
      business: '/v2/businesses/1001/',
      resource_uri: '/v2/locations/2001/',
    })
    const page2 = await api('GET', page1.body.meta.next)
    expect(page2.body.meta).toMatchObject({
      next: null,
      previous: '/v2/locations/?business=1001&limit=2&offset=0',
    })
    expect(page2.body.objects.map((l: { id: number }) => l.id)).toEqual([2003])
    const all = await api('GET', 'locations/')
    expect(all.body.meta.total_count).toBe(4)
  })

  it('lists perks with their points rule', async () => {
    const res = await api('GET', 'perks/?business=1002')
    expect(res.body.objects).toEqual([
      {
        id: 3101,
        title: 'Visit',
        business: '/v2/businesses/1002/',
        kind: 'visit',
        points_per_unit: 1,
        resource_uri: '/v2/perks/3101/',
      },
    ])
    const p = await api('GET', 'perks/?business=1001&limit=1&offset=1')
    expect(p.body.meta).toMatchObject({ total_count: 3, offset: 1, limit: 1 })
    expect(p.body.objects[0].id).toBe(3002)
  })

  it('rejects bad paging and filters with 400', async () => {
    for (const q of ['limit=0', 'limit=abc', 'limit=1001', 'offset=-1', 'business=x']) {
      const res = await api('GET', `perks/?${q}`)
      expect(res.status, q).toBe(400)
      expect(Object.keys(res.body.errors).length, q).toBeGreaterThan(0)
    }
  })
})

describe('POST transactions', () => {
  it('creates a transaction with points and a customer connection', async () => {
    expect((await api('GET', 'connections/?business=1001')).body.meta.total_count).toBe(0)
    const res = await post({ trans_source_id: 'e1', email: 'Ann@Example.com' })
    expect(res.status).toBe(201)
    expect(res.headers.get('location')).toBe('/v2/transactions/1/')
    expect(res.body).toMatchObject({
      id: 1,
      resource_uri: '/v2/transactions/1/',
      business: 1001,
      location: 2001,
      perk: 3002,
      email: 'ann@example.com',
      quantity: 9.99,
      points: 9,
      send_email: false,
      trans_source_id: 'e1',
      transaction_dt: '2026-11-23T10:00:00Z',
    })
    const conn = await api('GET', 'connections/?business=1001&user__emails__email=ANN@example.com')
    expect(conn.body.objects).toEqual([
      {
        id: 1,
        business: '/v2/businesses/1001/',
        user: '/v2/users/1/',
        email: 'ann@example.com',
        point_balance: 9,
        resource_uri: '/v2/connections/1/',
      },
    ])
  })

  it('computes points by the perk rule; a refund removes what the award gave', async () => {
    const points = async (perk: number, quantity: number) => (await post({ perk, quantity })).body.points
    expect(await points(3001, 1)).toBe(10)
    expect(await points(3001, 2.7)).toBe(20)
    expect(await points(3001, -1)).toBe(-10)
    expect(await points(3002, 9.99)).toBe(9)
    expect(await points(3002, -9.99)).toBe(-9)
    expect(await points(3004, 10.01)).toBe(25)
    expect(await points(3004, 0.39)).toBe(0)
    const conn = await api('GET', 'connections/?business=1001&user__emails__email=ann@example.com')
    expect(conn.body.objects[0].point_balance).toBe(10 + 20 - 10 + 9 - 9 + 25 + 0)
  })

  it('answers 409 with the existing resource_uri for a reused trans_source_id, and records nothing new', async () => {
    const first = await post({ trans_source_id: 'dup' })
    const second = await post({ trans_source_id: 'dup', quantity: 50 })
    expect(second.status).toBe(409)
    expect(second.body.resource_uri).toBe(first.body.resource_uri)
    // trans_source_id is unique per business, not globally.
    const other = await post({
      trans_source_id: 'dup',
      business: 1002,
      location: 2101,
      perk: 3101,
      quantity: 1,
    })
    expect(other.status).toBe(201)
    expect(sb.transactions()).toHaveLength(2)
  })

  it('answers a reused trans_source_id with 400 in the documented shape, or 200 with the first, as configured', async () => {
    const first = await post({ trans_source_id: 'dup' })
    sb.setBehaviour({ duplicateAnswer: '400' })
    const refused = await post({ trans_source_id: 'dup', quantity: 50 })
    expect(refused.status).toBe(400)
    expect(refused.body).toMatchObject({
      status: 'failure',
      error_codes: [{ message: 'A transaction with trans_source_id "dup" already exists' }],
      errors: ['A transaction with trans_source_id "dup" already exists'],
    })
    sb.setBehaviour({ duplicateAnswer: 'existing' })
    const returned = await post({ trans_source_id: 'dup', quantity: 50 })
    expect(returned.status).toBe(200)
    expect(returned.body).toMatchObject({ id: first.body.id, quantity: first.body.quantity })
    expect(sb.transactions()).toHaveLength(1)
  })

  it('with dedup off, records a reused trans_source_id again (a second award)', async () => {
    sb.setBehaviour({ dedup: false })
    await post({ trans_source_id: 'dup' })
    expect((await post({ trans_source_id: 'dup' })).status).toBe(201)
    expect(sb.transactions().map((t) => t.trans_source_id)).toEqual(['dup', 'dup'])
  })

  it('ignores an external_id: it is no field of Perkville, so it dedups nothing', async () => {
    sb.setBehaviour({})
    const body = { trans_source_id: undefined, external_id: 'old-key' }
    expect((await post(body)).status).toBe(201)
    expect((await post(body)).status).toBe(201)
    expect(sb.transactions()).toHaveLength(2)
  })

  it('validates every field with {"errors": {...}}', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ business: undefined }, 'business'],
      [{ business: 'abc' }, 'business'],
      [{ location: -1 }, 'location'],
      [{ perk: 1.5 }, 'perk'],
      [{ email: 'nope' }, 'email'],
      [{ email: undefined }, 'email'],
      [{ quantity: '9.99' }, 'quantity'],
      [{ quantity: 0 }, 'quantity'],
      [{ quantity: 1e12 }, 'quantity'],
      [{ send_email: 'yes' }, 'send_email'],
      [{ trans_source_id: '' }, 'trans_source_id'],
      [{ trans_source_id: 'x'.repeat(256) }, 'trans_source_id'],
      [{ transaction_dt: 'yesterday' }, 'transaction_dt'],
    ]
    for (const [over, field] of cases) {
      const res = await post(over)
      expect(res.status, JSON.stringify(over)).toBe(400)
      expect(Object.keys(res.body.errors), JSON.stringify(over)).toEqual([field])
    }
    for (const body of ['{bad json', '[1,2]', 'null']) {
      const res = await api('POST', 'transactions/', body)
      expect(res.status, body).toBe(400)
      expect(res.body.errors).toBeDefined()
    }
    expect(sb.transactions()).toHaveLength(0)
  })

  it('answers 404 for an unknown business, location or perk, or one of another business', async () => {
    for (const over of [{ business: 9 }, { location: 9 }, { perk: 9 }, { location: 2101 }, { perk: 3101 }]) {
      const res = await post(over)
      expect(res.status, JSON.stringify(over)).toBe(404)
      expect(typeof res.body.detail).toBe('string')
    }
  })

  it('accepts a transaction without trans_source_id (no dedup possible)', async () => {
    expect((await post({ trans_source_id: undefined })).status).toBe(201)
    expect((await post({ trans_source_id: null })).status).toBe(201)
    expect(sb.transactions()).toHaveLength(2)
  })
})

describe('GET transactions', () => {
  it('filters by business and trans_source_id, and paginates', async () => {
    for (let i = 0; i < 5; i++) await post({ trans_source_id: `a${i}`, email: 'ann@example.com' })
    for (let i = 0; i < 3; i++) await post({ trans_source_id: `b${i}`, email: 'bob@example.com' })
    await post({ trans_source_id: 'a0', business: 1002, location: 2101, perk: 3101, quantity: 1 })

    const byId = await api('GET', 'transactions/?business=1001&trans_source_id=a3')
    expect(byId.body.objects.map((t: { trans_source_id: string }) => t.trans_source_id)).toEqual(['a3'])
    const none = await api('GET', 'transactions/?business=1001&trans_source_id=zzz')
    expect(none.body).toMatchObject({ meta: { total_count: 0 }, objects: [] })
    const a0 = await api('GET', 'transactions/?trans_source_id=a0')
    expect(a0.body.meta.total_count).toBe(2)

    const seen: string[] = []
    let next: string | null = 'transactions/?business=1001&limit=3'
    while (next) {
      const page = await api('GET', next)
      seen.push(...page.body.objects.map((t: { trans_source_id: string }) => t.trans_source_id))
      next = page.body.meta.next
    }
    expect(seen).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'b0', 'b1', 'b2'])
  })

  it('refuses filters Perkville does not document with a Tastypie-style 400', async () => {
    await post({ trans_source_id: 'f1', email: 'ann@example.com' })
    for (const [path, field] of [
      ['transactions/?business=1001&external_id=f1', 'external_id'],
      ['transactions/?business=1001&email=ann@example.com', 'email'],
      ['perks/?business=1001&title=Spend', 'title'],
      ['connections/?business=1001&user__username=ann', 'user'],
    ] as const) {
      const res = await api('GET', path)
      expect(res.status, path).toBe(400)
      expect(res.body).toEqual({ error: `The '${field}' field does not allow filtering.` })
    }
    // The documented ones (and paging) still work.
    expect(
      (await api('GET', 'connections/?business=1001&user__emails__email=ann@example.com&limit=5')).status,
    ).toBe(200)
  })

  it('with lookupFilter off, refuses the trans_source_id filter too', async () => {
    sb.setBehaviour({ lookupFilter: false })
    const res = await api('GET', 'transactions/?business=1001&trans_source_id=x')
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error: "The 'trans_source_id' field does not allow filtering." })
    sb.setBehaviour({})
    expect((await api('GET', 'transactions/?business=1001&trans_source_id=x')).status).toBe(200)
  })
})

describe('faults', () => {
  it('validates, shows and clears faults; {} clears', async () => {
    const bad = await control('PUT', '/_sandbox/faults', { errorRate: 2, bogus: true })
    expect(bad.status).toBe(400)
    expect(bad.body.problems.join(' ')).toContain('errorRate')
    const set = await control('PUT', '/_sandbox/faults', { outage: true, latencyMs: 5 })
    expect(set.body).toEqual({ outage: true, latencyMs: 5 })
    expect((await control('GET', '/_sandbox/faults')).body).toEqual({ outage: true, latencyMs: 5 })
    expect((await api('GET', 'businesses/1001/')).status).toBe(503)
    // The control plane and health are never faulted.
    expect((await control('GET', '/healthz')).status).toBe(200)
    expect((await control('GET', '/_sandbox/transactions')).status).toBe(200)
    await control('PUT', '/_sandbox/faults', {})
    expect((await control('GET', '/_sandbox/faults')).body).toEqual({})
    expect((await api('GET', 'businesses/1001/')).status).toBe(200)
  })

  it('answers 5xx and 429 at the set rates; a fault comes before auth', async () => {
    const before = (await control('GET', '/_sandbox/stats')).body
    sb.setFaults({ errorRate: 1, errorStatus: 504 })
    expect((await api('GET', 'businesses/1001/', undefined, {})).status).toBe(504)
    sb.setFaults({ rateLimitRate: 1, retryAfter: 'Wed, 21 Oct 2026 07:28:00 GMT' })
    const limited = await api('GET', 'perks/')
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('Wed, 21 Oct 2026 07:28:00 GMT')
    sb.setFaults({ rateLimitRate: 0, errorRate: 0, latencyMs: 1, latencyJitterMs: 3 })
    expect((await api('GET', 'perks/')).status).toBe(200)
    const stats = (await control('GET', '/_sandbox/stats')).body
    expect(stats.injected.error - before.injected.error).toBe(1)
    expect(stats.injected.rate_limit - before.injected.rate_limit).toBe(1)
    expect(stats.apiRequests - before.apiRequests).toBe(3)
  })

  it('scope "writes" leaves reads alone', async () => {
    sb.setFaults({ outage: true, scope: 'writes' })
    expect((await api('GET', 'perks/')).status).toBe(200)
    expect((await post()).status).toBe(503)
  })

  it('a seeded rate gives the same sequence each time it is set', async () => {
    const run = async () => {
      sb.setFaults({ errorRate: 0.5, seed: 42 })
      const statuses: number[] = []
      for (let i = 0; i < 16; i++) statuses.push((await api('GET', 'businesses/1001/')).status)
      return statuses
    }
    const first = await run()
    expect(await run()).toEqual(first)
    expect(first).toContain(500)
    expect(first).toContain(200)
  })

  it('commit then fail records the transaction (500 variant), visible to the control plane', async () => {
    sb.setFaults({ commitThenFailRate: 1 })
    const res = await post({ trans_source_id: 'ctf' })
    expect(res.status).toBe(500)
    const all = await control('GET', '/_sandbox/transactions')
    expect(all.body.objects.map((t: { trans_source_id: string }) => t.trans_source_id)).toEqual(['ctf'])
  })

  it('commit then disconnect cuts the connection', async () => {
    sb.setFaults({ commitThenFailRate: 1, commitThenFailMode: 'disconnect' })
    await expect(post({ trans_source_id: 'cut' })).rejects.toThrow()
    expect(sb.transactions().map((t) => t.trans_source_id)).toEqual(['cut'])
  })
})

describe('reset and health', () => {
  it('reset empties the data back to the seed', async () => {
    await post({ trans_source_id: 'r1' })
    expect((await control('POST', '/_sandbox/reset')).status).toBe(200)
    expect(sb.transactions()).toEqual([])
    expect((await api('GET', 'connections/')).body.meta.total_count).toBe(0)
    expect((await api('GET', 'businesses/1002/')).status).toBe(200)
    // Ids start again after a reset.
    expect((await post()).body.id).toBe(1)
  })

  it('healthz answers 200 without auth', async () => {
    expect((await control('GET', '/healthz')).body).toEqual({ ok: true })
  })

  it('unknown routes answer 404 JSON', async () => {
    const res = await api('GET', 'users/')
    expect(res.status).toBe(404)
    expect(res.body.detail).toContain('/v2/users/')
  })
})
