/**
 * SDKs that speak another API: Jitsu's `@jitsu/js` (the real package) against Jitsu's ingest paths
 * the service serves, and any other path answered and logged (rate-limited) with the nearest one.
 */
import { jitsuAnalytics } from '@jitsu/js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UnknownRoutes } from '../../src/server/unknown-routes.js'
import { eventually } from '../service/helpers.js'
import { ADMIN_TOKEN, post, startTestService, type TestService, WRITE_KEY } from './fixture.js'

let svc: TestService
beforeAll(async () => {
  svc = await startTestService()
})
afterAll(async () => {
  await svc?.close()
})

const delivered = (email: string) =>
  eventually(
    () => (svc.sandbox.transactions().some((tx) => tx.email === email) ? true : undefined),
    10_000,
    `an award for ${email}`,
  )

describe('@jitsu/js pointed at the service', () => {
  it('tracks from the browser API path and the server-to-server path are accepted and awarded', async () => {
    const errors: string[] = []
    for (const s2s of [false, true]) {
      const analytics = jitsuAnalytics({
        host: svc.url,
        writeKey: `perkville:${WRITE_KEY}`,
        s2s,
        errorPolicy: (message: string) => errors.push(message),
      })
      const email = `jitsu-${s2s ? 's2s' : 'browser'}-${process.pid}@example.com`
      await analytics.identify(`user-${s2s}`, { email })
      await analytics.track('Checked In', { email })
      await delivered(email)
    }
    const stored = svc.sandbox.transactions().filter((tx) => tx.email.startsWith('jitsu-'))
    expect(stored).toHaveLength(2)
    expect(errors).toEqual([])
  })

  it('a wrong key is refused with 401, which the SDK reports instead of resolving as sent', async () => {
    const errors: string[] = []
    const analytics = jitsuAnalytics({
      host: svc.url,
      writeKey: 'perkville:not-the-write-key',
      errorPolicy: (message: string) => errors.push(message),
    })
    await analytics.track('Checked In', { email: 'jitsu-wrong@example.com' })
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(/\/api\/s\/track failed with error: 401/)
    const res = await post(`${svc.url}/api/s/track`, { type: 'track', event: 'Checked In' })
    expect(res.status).toBe(401)
    expect(res.json?.error).toContain('X-Write-Key')
  })
})

describe('unknown routes', () => {
  it('answer 404 naming the nearest supported path and log it at warn, without secrets', async () => {
    const res = await post(`${svc.url}/api/x/track`, { type: 'track' })
    expect(res.status).toBe(404)
    expect(res.json?.error).toBe(
      'no route POST /api/x/track; the nearest supported path is POST /api/s/track',
    )
    const line = await eventually(
      () => svc.logs.find((l) => l.includes('"level":40') && l.includes('no route POST /api/x/track')),
      5_000,
      'the warn line',
    )
    expect(JSON.parse(line)).toMatchObject({ nearest: 'POST /api/s/track', path: '/api/x/track' })

    // A path holding a secret by mistake shows it neither in the answer nor in the log.
    const secretPath = await post(`${svc.url}/v1/projects/${WRITE_KEY}/nope/${ADMIN_TOKEN}`, {})
    expect(secretPath.status).toBe(404)
    expect(secretPath.text).not.toContain(WRITE_KEY)
    expect(secretPath.text).not.toContain(ADMIN_TOKEN)
    expect(svc.logs.join('\n')).not.toContain(WRITE_KEY)
  })

  it('are logged at most once per interval, counting the ones left out', () => {
    const lines: Record<string, unknown>[] = []
    let now = 0
    const routes = new UnknownRoutes({
      logger: { warn: (fields: Record<string, unknown>) => lines.push(fields) } as never,
      secrets: [],
      intervalMs: 10_000,
      now: () => now,
    })
    routes.add('POST', '/v1/track')
    routes.add('POST', '/v1/batch')
    routes.add('GET', '/v1/track-ish')
    for (let i = 0; i < 50; i++) routes.seen('POST', '/v1/trak')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ nearest: 'POST /v1/track', unknownSinceLastLine: 0 })
    now = 10_000
    expect(routes.seen('POST', '/v1/batchh').nearest).toBe('POST /v1/batch')
    expect(lines).toHaveLength(2)
    expect(lines[1]).toMatchObject({ unknownSinceLastLine: 49 })
  })
})
