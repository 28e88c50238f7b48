import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { AuthThrottle } from '../../src/server/auth-throttle.js'
import { ConsoleSessions } from '../../src/server/console-session.js'
import { consoleRoutes } from '../../src/server/plugins/console.js'
import { eventually, removeDir, tempDir } from '../service/helpers.js'
import { ADMIN, ADMIN_TOKEN, AUTH, post, startTestService, type TestService } from './fixture.js'

let svc: TestService
let failedId: string

const signIn = async (token: string, headers: Record<string, string> = {}) =>
  fetch(`${svc.url}/console/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ token }),
  })

/** A signed-in session: its cookie header and CSRF token. */
async function session() {
  const res = await signIn(ADMIN_TOKEN)
  expect(res.status).toBe(204)
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!
  const answer = await fetch(`${svc.url}/console/session`, { headers: { cookie } })
  expect(answer.status).toBe(200)
  const { csrfToken } = (await answer.json()) as { csrfToken: string }
  return { cookie, csrfToken }
}

const eventStatus = async (id: string) =>
  ((await (await fetch(`${svc.url}/admin/events/${id}`, { headers: ADMIN })).json()) as { status: string })
    .status

beforeAll(async () => {
  svc = await startTestService()
  // The same order twice: the one-award-per-order rule fails the second, a failure an operator may retry.
  const order = {
    type: 'track',
    event: 'Order Completed',
    userId: 'console-session',
    messageId: `console-session-${Date.now()}`,
    properties: { email: 'console-fail@example.com', order_id: `ORD-${Date.now()}`, revenue: 10 },
  }
  const again = { ...order, messageId: `${order.messageId}-again` }
  expect((await post(`${svc.url}/v1/batch`, { batch: [order, again] }, AUTH)).status).toBe(200)
  failedId = await eventually(async () => {
    const res = await fetch(`${svc.url}/admin/events?status=failed`, { headers: ADMIN })
    const { events } = (await res.json()) as { events: Array<{ id: string }> }
    return events[0]?.id
  })
  // Starting a service and settling a delivery can take a while on a busy 2-core machine.
}, 60_000)
afterAll(async () => {
  await svc?.close()
}, 60_000)

describe('the page', () => {
  test('GET / serves the console from the package, with a policy that allows only its own files', async () => {
    const res = await fetch(`${svc.url}/`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/text\/html/)
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'")
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
    const html = await res.text()
    expect(html).toContain('/console/console.js')
    expect(html).not.toMatch(/https?:\/\//)
    const script = await fetch(`${svc.url}/console/console.js`)
    expect(script.status).toBe(200)
    expect(script.headers.get('content-type')).toMatch(/javascript/)
    expect((await fetch(`${svc.url}/console/console.css`)).status).toBe(200)
    expect((await fetch(`${svc.url}/console/nothing.js`)).status).toBe(404)
  })
})

describe('signing in', () => {
  test('a wrong token is a 401 and sets no cookie', async () => {
    const res = await signIn('not-the-admin-token')
    expect(res.status).toBe(401)
    expect(res.headers.get('set-cookie')).toBeNull()
    expect(await res.text()).not.toContain('not-the-admin-token')
  })

  test('a missing token is a 400 naming what to send', async () => {
    const res = await fetch(`${svc.url}/console/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('token')
  })

  test('the admin token gives an HttpOnly, SameSite=Strict cookie (not Secure over plain http)', async () => {
    const res = await signIn(ADMIN_TOKEN)
    expect(res.status).toBe(204)
    const cookie = res.headers.get('set-cookie')!
    expect(cookie).toMatch(/^pv_session=[A-Za-z0-9_-]{43};/)
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Strict')
    expect(cookie).toContain('Path=/')
    expect(cookie).not.toContain('Secure')
    expect(cookie).not.toContain(ADMIN_TOKEN)
  })

  test('GET /console/session needs the cookie and gives the CSRF token', async () => {
    // Not signed in is an answer, not an error: a page asks on every load.
    const none = await fetch(`${svc.url}/console/session`)
    expect(none.status).toBe(200)
    expect(await none.json()).toEqual({ signedIn: false })
    const { cookie, csrfToken } = await session()
    expect(csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(cookie).not.toContain(csrfToken)
  })

  test('signing out ends the session: the cookie no longer opens /admin', async () => {
    const { cookie } = await session()
    expect((await fetch(`${svc.url}/admin/stats`, { headers: { cookie } })).status).toBe(200)
    const out = await fetch(`${svc.url}/console/session`, { method: 'DELETE', headers: { cookie } })
    expect(out.status).toBe(204)
    expect(out.headers.get('set-cookie')).toMatch(/^pv_session=;.*Max-Age=0/)
    expect((await fetch(`${svc.url}/admin/stats`, { headers: { cookie } })).status).toBe(401)
    expect(await (await fetch(`${svc.url}/console/session`, { headers: { cookie } })).json()).toEqual({
      signedIn: false,
    })
  })

  test('a made-up cookie opens nothing', async () => {
    const cookie = `pv_session=${'a'.repeat(43)}`
    expect((await fetch(`${svc.url}/admin/stats`, { headers: { cookie } })).status).toBe(401)
  })
})

describe('the admin API with the cookie', () => {
  test('reads need only the cookie', async () => {
    const { cookie } = await session()
    const res = await fetch(`${svc.url}/admin/events?limit=1`, { headers: { cookie } })
    expect(res.status).toBe(200)
  })

  test('a change without the CSRF token is a 403 and changes nothing', async () => {
    const { cookie } = await session()
    const res = await fetch(`${svc.url}/admin/events/${failedId}/retry`, {
      method: 'POST',
      headers: { cookie },
    })
    expect(res.status).toBe(403)
    expect(((await res.json()) as { code: string }).code).toBe('CSRF')
    expect(await eventStatus(failedId)).toBe('failed')
  })

  test("another session's CSRF token is refused", async () => {
    const mine = await session()
    const other = await session()
    const res = await fetch(`${svc.url}/admin/events/${failedId}/retry`, {
      method: 'POST',
      headers: { cookie: mine.cookie, 'x-csrf-token': other.csrfToken },
    })
    expect(res.status).toBe(403)
  })

  test('a cross-site form post with the cookie is refused, and nothing changes', async () => {
    const { cookie } = await session()
    for (const headers of [
      { origin: 'http://127.0.0.1:1', 'sec-fetch-site': 'same-site' },
      { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    ]) {
      const res = await fetch(`${svc.url}/admin/events/${failedId}/retry`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: 'a=1',
      })
      expect(res.status).toBe(403)
    }
    expect(await eventStatus(failedId)).toBe('failed')
  })

  test('the token from another origin is refused even with the CSRF token', async () => {
    const { cookie, csrfToken } = await session()
    const res = await fetch(`${svc.url}/admin/settings/check`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrfToken, origin: 'http://localhost:9999' },
    })
    expect(res.status).toBe(403)
  })

  test('with the CSRF token and the own origin, a change goes through', async () => {
    const { cookie, csrfToken } = await session()
    const res = await fetch(`${svc.url}/admin/events/${failedId}/retry`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrfToken, origin: svc.url },
    })
    expect(res.status).toBe(200)
    expect(await eventStatus(failedId)).not.toBe('failed')
  })

  test('the Bearer token works as before, with no CSRF token, and a wrong one is not saved by a cookie', async () => {
    expect((await fetch(`${svc.url}/admin/settings/check`, { method: 'POST', headers: ADMIN })).status).toBe(
      200,
    )
    const { cookie } = await session()
    const res = await fetch(`${svc.url}/admin/stats`, {
      headers: { cookie, authorization: 'Bearer wrong-token-123' },
    })
    expect(res.status).toBe(401)
  })

  test('neither the admin token, the session cookie nor the CSRF token reaches the log', async () => {
    const { cookie, csrfToken } = await session()
    await fetch(`${svc.url}/admin/events/${failedId}/retry`, { method: 'POST', headers: { cookie } })
    await fetch(`${svc.url}/admin/nothing`, { headers: { cookie, 'x-csrf-token': csrfToken } })
    const log = svc.logs.join('')
    expect(log.length).toBeGreaterThan(0)
    expect(log).not.toContain(ADMIN_TOKEN)
    expect(log).not.toContain(cookie.split('=')[1]!)
    expect(log).not.toContain(csrfToken)
  })
})

describe('behind an https proxy (--public-url https://...)', () => {
  let https: TestService
  beforeAll(async () => {
    https = await startTestService({ publicUrl: 'https://console.example.com' })
  }, 60_000)
  afterAll(async () => {
    await https?.close()
  }, 60_000)

  test('the cookie is Secure and only the public origin may change things', async () => {
    const res = await fetch(`${https.url}/console/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://console.example.com' },
      body: JSON.stringify({ token: ADMIN_TOKEN }),
    })
    expect(res.status).toBe(204)
    const cookie = res.headers.get('set-cookie')!
    expect(cookie).toContain('Secure')
    const id = cookie.split(';')[0]!
    const { csrfToken } = (await (
      await fetch(`${https.url}/console/session`, { headers: { cookie: id } })
    ).json()) as { csrfToken: string }
    const check = (origin: string) =>
      fetch(`${https.url}/admin/settings/check`, {
        method: 'POST',
        headers: { cookie: id, 'x-csrf-token': csrfToken, origin },
      })
    expect((await check(https.url)).status).toBe(403)
    expect((await check('https://console.example.com')).status).toBe(200)
  })
})

describe('the session store', () => {
  test('a session ends after its lifetime, and unknown ids are nobody', () => {
    let now = 1_000_000
    const sessions = new ConsoleSessions(60_000, () => now)
    const s = sessions.create()
    expect(sessions.get(s.id)).toBe(s)
    expect(sessions.get('nope')).toBeNull()
    expect(sessions.get(undefined)).toBeNull()
    now += 59_999
    expect(sessions.get(s.id)).toBe(s)
    now += 1
    expect(sessions.get(s.id)).toBeNull()
    expect(sessions.size).toBe(0)
  })

  test('the CSRF token is compared whole', () => {
    const sessions = new ConsoleSessions()
    const s = sessions.create()
    expect(sessions.csrfMatches(s, s.csrfToken)).toBe(true)
    expect(sessions.csrfMatches(s, s.csrfToken.slice(1))).toBe(false)
    expect(sessions.csrfMatches(s, '')).toBe(false)
    expect(sessions.csrfMatches(s, undefined)).toBe(false)
  })

  test('memory stays bounded: past 1000 sessions the oldest ends', () => {
    const sessions = new ConsoleSessions()
    const first = sessions.create()
    for (let i = 0; i < 1000; i++) sessions.create()
    expect(sessions.size).toBe(1000)
    expect(sessions.get(first.id)).toBeNull()
  })
})

describe('a package without the built page', () => {
  test('GET / answers 503 saying how to build it; the session routes still work', async () => {
    const dir = tempDir('perkville-no-web-')
    const app = Fastify()
    try {
      await app.register(consoleRoutes, {
        deps: {
          adminToken: ADMIN_TOKEN,
          consoleSessions: new ConsoleSessions(),
          authThrottle: new AuthThrottle(app.log),
        },
        webDir: dir,
      })
      const page = await app.inject('/')
      expect(page.statusCode).toBe(503)
      expect(page.body).toContain('npm run build')
      const signIn = await app.inject({
        method: 'POST',
        url: '/console/session',
        payload: { token: ADMIN_TOKEN },
      })
      expect(signIn.statusCode).toBe(204)
    } finally {
      await app.close()
      removeDir(dir)
    }
  })
})
