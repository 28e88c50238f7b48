import { afterAll, beforeAll, expect, test } from 'vitest'
import { DEFAULT_READONLY_TOKEN, type RunningSandbox, startSandbox } from '../../src/sandbox/index.js'

// The API is one plugin under /v2 with its fault and auth hooks inside it; the control routes are
// another under /_sandbox. These tests pin where each hook applies and the shape of query 400s.

let sb: RunningSandbox
beforeAll(async () => {
  sb = await startSandbox({ memory: true })
})
afterAll(() => sb.close())

async function get(path: string, token: string | null = sb.token) {
  const res = await fetch(new URL(path, sb.origin), {
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

test('unknown /v2 paths pass the auth hook first; other unknown paths do not', async () => {
  expect((await get('/v2/users/', null)).status).toBe(401)
  const known = await get('/v2/users/')
  expect(known.status).toBe(404)
  expect(known.body.detail).toBe('no route for GET /v2/users/')
  expect((await get('/elsewhere', null)).status).toBe(404)
})

test('a bad query is one 400 naming every bad field', async () => {
  const res = await get('/v2/perks/?limit=0&business=x&offset=2')
  expect(res.status).toBe(400)
  expect(res.body).toEqual({
    errors: {
      limit: ['must be an integer from 1 to 1000'],
      business: ['must be a positive integer id, got "x"'],
    },
  })
  const repeated = await get('/v2/perks/?limit=1&limit=abc&business=1001')
  expect(repeated.status).toBe(200)
  expect((repeated.body.meta as { limit: number }).limit).toBe(1)
})

test('a missing scope is answered before the query is checked', async () => {
  const res = await get('/v2/transactions/?limit=0', DEFAULT_READONLY_TOKEN)
  expect(res.status).toBe(403)
  expect(res.body.error).toBe('insufficient_scope')
})

test('faults and request counts cover the API only, never the control routes or /healthz', async () => {
  const before = (await get('/_sandbox/stats', null)).body as { apiRequests: number }
  await get('/v2/perks/')
  await get('/healthz', null)
  sb.setFaults({ outage: true })
  try {
    expect((await get('/v2/perks/')).status).toBe(503)
    expect((await get('/_sandbox/faults', null)).status).toBe(200)
    expect((await get('/healthz', null)).status).toBe(200)
  } finally {
    sb.setFaults({})
  }
  const after = (await get('/_sandbox/stats', null)).body as {
    apiRequests: number
    injected: { outage: number }
  }
  expect(after.apiRequests - before.apiRequests).toBe(2)
  expect(after.injected.outage).toBe(1)
})
