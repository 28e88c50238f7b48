import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startSandbox } from '../../src/sandbox/index.js'
import {
  basicAuth,
  eventually,
  removeDir,
  type ServeProcess,
  startServe,
  stopServe,
  tempDir,
  writeSandboxSettings,
} from '../service/helpers.js'
import { type OwnPostgres, startOwnPostgres } from './own-instance.js'

const WRITE_KEY = 'wk_outage_0123456789ab'
const ADMIN = 'adm_outage_token_abcdef'
const admin = { authorization: `Bearer ${ADMIN}` }

let pg: OwnPostgres
let proc: ServeProcess
beforeAll(async () => {
  pg = await startOwnPostgres()
  proc = await startServe({
    args: ['--database-url', pg.url, '--write-key', WRITE_KEY, '--admin-token', ADMIN],
  })
}, 90_000)
afterAll(async () => {
  if (proc) {
    await stopServe(proc)
    removeDir(proc.dataDir)
  }
  pg?.destroy()
})

const get = async (path: string, headers: Record<string, string> = admin) => {
  const res = await fetch(`${proc.url}${path}`, { headers })
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    json: (await res.json()) as Record<string, unknown>,
  }
}
const trackEvent = (email: string, n: string) => ({
  type: 'track',
  event: 'Checked In',
  userId: email,
  messageId: `outage-${email}-${n}-${Date.now()}`,
  properties: { email },
})
const ingest = async (email: string) =>
  (
    await fetch(`${proc.url}/v1/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth(WRITE_KEY) },
      body: JSON.stringify(trackEvent(email, 'single')),
    })
  ).status

describe('PostgreSQL stopped and started again', () => {
  test('deliveries whose outcome could not be recorded are released as soon as it is back, not after the lease', async () => {
    const sandbox = await startSandbox({ memory: true })
    const settingsDir = tempDir('outage-settings-')
    const delivering = await startServe({
      args: [
        '--database-url',
        pg.url,
        '--database-schema',
        'release_test',
        '--perkville-url',
        sandbox.url,
        '--settings',
        writeSandboxSettings(settingsDir, sandbox.token),
        '--write-key',
        WRITE_KEY,
      ],
    })
    try {
      sandbox.setFaults({ latencyMs: 1_500, scope: 'writes' })
      const customers = ['pg-a@example.com', 'pg-b@example.com']
      const events = customers.flatMap((email) => [1, 2].map((i) => trackEvent(`${email}`, `${i}`)))
      const res = await fetch(`${delivering.url}/v1/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: basicAuth(WRITE_KEY) },
        body: JSON.stringify({ batch: events }),
      })
      expect(res.status).toBe(200)
      await sleep(300)
      // The heads are at Perkville when the database goes away; their outcome cannot be recorded.
      pg.stop()
      await eventually(
        () => (sandbox.transactions().length >= 2 ? true : undefined),
        10_000,
        'heads delivered',
      )
      await sleep(500)
      sandbox.setFaults({})
      pg.start()
      // Well within the 2-minute lease: all four delivered, each once.
      await eventually(
        () => (sandbox.transactions().length >= 4 ? true : undefined),
        20_000,
        'all four delivered',
      )
      const ids = sandbox.transactions().map((tx) => tx.trans_source_id)
      expect(new Set(ids).size).toBe(4)
      expect(delivering.stdout()).toMatch(/"released":2,.*storage writes work again/)
    } finally {
      await stopServe(delivering)
      removeDir(delivering.dataDir)
      removeDir(settingsDir)
      await sandbox.close()
    }
  }, 90_000)

  test('while it is down: the admin API and ingest answer 503 with Retry-After (not 500), /readyz 503; after: all 200', async () => {
    expect(await ingest('before@example.com')).toBe(200)
    expect((await get('/admin/events')).status).toBe(200)

    pg.stop()
    for (const path of ['/admin/events', '/admin/stats', '/admin/events/1']) {
      const res = await get(path)
      expect(res.status, path).toBe(503)
      expect(res.json.code, path).toBe('STORAGE_UNAVAILABLE')
      expect(res.retryAfter, path).toBe('5')
      expect(JSON.stringify(res.json), path).not.toContain('postgres://')
    }
    const ready = await get('/readyz', {})
    expect(ready.status).toBe(503)
    expect(ready.json.ready).toBe(false)
    expect(await ingest('during@example.com')).toBe(503)
    // Once a write failed, /readyz says what made it fail, not a guess between causes.
    const reasons = ((await get('/readyz', {})).json.reasons as string[]).join(' ')
    expect(reasons).toMatch(/writes have failed since \S+: the database is unreachable \(/)
    expect(reasons).not.toContain('disk')

    pg.start()
    await eventually(
      async () => ((await get('/readyz', {})).status === 200 ? true : undefined),
      20_000,
      '/readyz 200',
    )
    expect((await get('/admin/events')).status).toBe(200)
    expect(await ingest('after@example.com')).toBe(200)
  }, 90_000)
})
