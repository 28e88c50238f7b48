import { readdirSync, readFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ConfigError, loadConfig } from '../../src/server/config.js'
import { ADMIN, AUTH, post, startTestService, type TestService, WRITE_KEY } from './fixture.js'

// The routes browsers call directly: analytics.js hosting, its settings, RudderStack's source config
// and beacon, and CORS (open on those, closed on the admin API).
let svc: TestService
let proxied: TestService
const ORIGIN = { origin: 'https://shop.example' }

beforeAll(async () => {
  svc = await startTestService()
  proxied = await startTestService({ publicUrl: 'https://track.example.com/perkville/' })
})
afterAll(async () => {
  await svc?.close()
  await proxied?.close()
})

const get = (url: string, headers: Record<string, string> = ORIGIN) => fetch(url, { headers })

describe('analytics.js settings', () => {
  test('a configured key gets Segment.io settings pointing back at this service, readable cross-origin', async () => {
    const res = await get(`${svc.url}/v1/projects/${WRITE_KEY}/settings`)
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    const settings = (await res.json()) as {
      integrations: Record<string, { apiKey: string; apiHost: string; protocol: string }>
      metrics: { sampleRate: number }
    }
    expect(Object.keys(settings.integrations)).toEqual(['Segment.io'])
    expect(settings.integrations['Segment.io']).toMatchObject({
      apiKey: WRITE_KEY,
      apiHost: `${new URL(svc.url).host}/v1`,
      protocol: 'http',
    })
    expect(settings.metrics.sampleRate).toBe(0)
  })

  test('behind a proxy the configured public URL wins over the request', async () => {
    const res = await get(`${proxied.url}/v1/projects/${WRITE_KEY}/settings`)
    const settings = (await res.json()) as { integrations: Record<string, object> }
    expect(settings.integrations['Segment.io']).toMatchObject({
      apiHost: 'track.example.com/perkville/v1',
      protocol: 'https',
    })
    const script = await (await get(`${proxied.url}/analytics.js/v1/${WRITE_KEY}/analytics.min.js`)).text()
    expect(script).toContain('a._cdn="https://track.example.com/perkville"')
  })

  test('an unknown key is a 404 with CORS headers that does not repeat the key', async () => {
    const res = await get(`${svc.url}/v1/projects/wk_not_configured_123/settings`)
    expect(res.status).toBe(404)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    const text = await res.text()
    expect(text).toContain('UNKNOWN_WRITE_KEY')
    expect(text).not.toContain('wk_not_configured_123')
  })

  test('a Host header that is not a host name is refused, not written into the answer', async () => {
    const status = await new Promise<number>((done, fail) => {
      const url = new URL(`${svc.url}/v1/projects/${WRITE_KEY}/settings`)
      httpRequest(
        { host: url.hostname, port: url.port, path: url.pathname, headers: { host: 'x"</script>' } },
        (res) => {
          res.resume()
          done(res.statusCode ?? 0)
        },
      )
        .on('error', fail)
        .end()
    })
    expect(status).toBe(400)
  })
})

describe('analytics.js itself', () => {
  test('the standalone build for a configured key, with the key written in', async () => {
    const res = await get(`${svc.url}/analytics.js/v1/${WRITE_KEY}/analytics.min.js`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('javascript')
    const script = await res.text()
    expect(script).toContain(`window.analyticsWriteKey=${JSON.stringify(WRITE_KEY)}`)
    expect(script).not.toContain('__WRITE_KEY__')
    expect(script).toContain(`a._cdn=${JSON.stringify(svc.url)}`)
    expect((await get(`${svc.url}/analytics.js/v1/wk_unknown_0000/analytics.min.js`)).status).toBe(404)
  })

  test('the chunks it loads lazily, and nothing else from the package', async () => {
    const umd = join(
      dirname(createRequire(import.meta.url).resolve('@segment/analytics-next/package.json')),
      'dist',
      'umd',
    )
    const chunk = readdirSync(umd).find((name) => /^ajs-destination\.bundle\.[0-9a-f]+\.js$/.test(name))
    expect(chunk).toBeDefined()
    const res = await get(`${svc.url}/analytics-next/bundles/${chunk}`)
    expect(res.status).toBe(200)
    expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(join(umd, chunk!)))).toBe(true)
    for (const bad of ['standalone.js', '..%2Fpackage.json', 'index.js.map', 'nope.bundle.abc.js']) {
      expect((await get(`${svc.url}/analytics-next/bundles/${bad}`)).status, bad).toBe(404)
    }
  })
})

describe('RudderStack', () => {
  test('the local source config for a configured key: enabled, no destinations, no reporting', async () => {
    const res = await get(`${svc.url}/sourceConfig/?p=npm&v=3.34.1&build=modern&writeKey=${WRITE_KEY}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    const config = (await res.json()) as {
      source: { enabled: boolean; destinations: unknown[]; config: { statsCollection: object } }
    }
    expect(config.source.enabled).toBe(true)
    expect(config.source.destinations).toEqual([])
    expect(config.source.config.statsCollection).toEqual({
      errors: { enabled: false },
      metrics: { enabled: false },
    })
    expect((await get(`${svc.url}/sourceConfig/?writeKey=wk_unknown_0000`)).status).toBe(404)
  })

  test('the beacon path takes the write key from the query and a text/plain batch', async () => {
    const email = `beacon-${process.pid}@example.com`
    const body = JSON.stringify({
      batch: [
        {
          type: 'track',
          event: 'Checked In',
          userId: 'beacon-user',
          messageId: `beacon-${process.pid}-${Date.now()}`,
          properties: { email },
        },
      ],
      sentAt: new Date().toISOString(),
    })
    const send = (query: string) =>
      fetch(`${svc.url}/beacon/v1/batch${query}`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain;charset=UTF-8', ...ORIGIN },
        body,
      })
    const missing = await send('')
    expect(missing.status).toBe(401)
    expect(await missing.text()).toContain('?writeKey=KEY')
    const wrong = await send('?writeKey=wk_wrong_00000')
    expect(wrong.status).toBe(401)
    expect(await wrong.text()).not.toContain('wk_wrong_00000')
    const ok = await send(`?writeKey=${WRITE_KEY}`)
    expect(ok.status).toBe(200)
    expect(ok.headers.get('access-control-allow-origin')).toBe('*')
    await expect
      .poll(() => svc.sandbox.transactions().filter((tx) => tx.email === email).length, { timeout: 10_000 })
      .toBe(1)
    // Logged at trace level, and still no line holds a key that came in the query string.
    const logs = svc.logs.join('\n')
    expect(logs).toContain('/beacon/v1/batch')
    expect(logs).not.toContain(WRITE_KEY)
    expect(logs).not.toContain('wk_wrong_00000')
  })
})

describe('CORS', () => {
  const preflight = (path: string, headers: string) =>
    fetch(`${svc.url}${path}`, {
      method: 'OPTIONS',
      headers: {
        ...ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': headers,
      },
    })

  test('ingest preflights allow exactly the headers RudderStack and analytics.js ask for', async () => {
    const asked = 'authorization,anonymousid,sentat,content-type,rsa-retry-attempt,x-retry-count'
    for (const path of ['/v1/track', '/v1/batch', '/beacon/v1/batch']) {
      const res = await preflight(path, asked)
      expect(res.status, path).toBe(204)
      expect(res.headers.get('access-control-allow-origin'), path).toBe('*')
      expect(res.headers.get('access-control-allow-headers'), path).toBe(asked)
    }
    // And a real cross-origin request with those headers is accepted.
    const res = await post(
      `${svc.url}/v1/track`,
      {
        type: 'track',
        event: 'Not Mapped',
        userId: 'u',
        messageId: `cors-${Date.now()}`,
        properties: { email: 'cors@example.com' },
      },
      { ...AUTH, ...ORIGIN, anonymousid: 'YW5vbg==', sentat: new Date().toISOString() },
    )
    expect(res.status).toBe(200)
  })

  test('the admin API stays closed to other origins', async () => {
    const res = await preflight('/admin/stats', 'authorization')
    expect(res.status).toBe(404)
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
    expect(res.headers.get('access-control-allow-headers')).toBeNull()
    const direct = await get(`${svc.url}/admin/stats`, { ...ADMIN, ...ORIGIN })
    expect(direct.status).toBe(200)
    expect(direct.headers.get('access-control-allow-origin')).toBeNull()
  })
})

describe('configuration', () => {
  test('--public-url must be an http(s) URL', () => {
    expect(() => loadConfig({ cli: { publicUrl: 'ftp://x' }, env: {} })).toThrow(ConfigError)
    expect(loadConfig({ cli: {}, env: { PERKVILLE_PUBLIC_URL: 'https://t.example/' } }).publicUrl).toBe(
      'https://t.example/',
    )
  })
})
