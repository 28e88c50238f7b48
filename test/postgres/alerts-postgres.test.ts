import { afterAll, beforeAll, expect, it } from 'vitest'
import { type RunningSandbox, startSandbox } from '../../src/sandbox/index.js'
import { startWebhookReceiver } from '../alerts/receivers.js'
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
import { dropSchema, queryIn, randomSchema, requirePostgres, TEST_DATABASE_URL } from './pg-harness.js'

/**
 * Two `serve` processes (dist/) on one PostgreSQL schema, both sending alerts to one webhook: what
 * both see in the shared store is sent once, fired and resolved, by whichever instance claims it.
 */
const WRITE_KEY = 'pg-alerts-write-key'
const ADMIN_TOKEN = 'adm_pg_alerts_token_81b3'
const schema = randomSchema('alerts')
const running: ServeProcess[] = []
const dir = tempDir('perkville-pg-alerts-')
let sandbox: RunningSandbox
let hook: Awaited<ReturnType<typeof startWebhookReceiver>>

beforeAll(async () => {
  await requirePostgres()
  sandbox = await startSandbox({ memory: true })
  hook = await startWebhookReceiver()
  const settings = writeSandboxSettings(dir, sandbox.token)
  const args = [
    ...['--perkville-url', sandbox.url, '--settings', settings, '--write-key', WRITE_KEY],
    ...['--admin-token', ADMIN_TOKEN, '--database-url', TEST_DATABASE_URL, '--database-schema', schema],
    ...['--alert-webhook', `${hook.url}/hooks/shared-secret-path`, '--alert-interval', '150ms'],
    ...['--alert-refusal-surge', '5'],
  ]
  for (const name of ['a', 'b']) {
    running.push(await startServe({ dataDir: tempDir(`perkville-pg-alerts-${name}-`), args }))
  }
})
afterAll(async () => {
  for (const proc of running) {
    await stopServe(proc, 'SIGKILL')
    removeDir(proc.dataDir)
  }
  await sandbox?.close()
  await hook?.close()
  removeDir(dir)
  await dropSchema(schema)
})

async function track(url: string, event: string, n: number): Promise<void> {
  const batch = Array.from({ length: n }, (_, i) => ({
    type: 'track',
    event,
    userId: `u${i}`,
    properties: { email: `surge${i}@example.com` },
  }))
  const res = await fetch(`${url}/v1/batch`, {
    method: 'POST',
    headers: { authorization: basicAuth(WRITE_KEY), 'content-type': 'application/json' },
    body: JSON.stringify({ batch }),
  })
  expect(res.status).toBe(200)
}

it('two instances on one database send a surge alert once, and its resolution once', async () => {
  const [a, b] = running as [ServeProcess, ServeProcess]
  await track(a.url, 'Newly Launched Event', 5)
  const firing = await eventually(
    () => hook.received.find((r) => r.body.alert === 'refusal_surge')?.body,
    20_000,
    'the surge alert',
  )
  expect(firing).toMatchObject({ state: 'firing', reason: 'EVENT_NOT_ALLOWLISTED', count: 5 })

  // Both instances have looked several times while it held: each saw it and claimed nothing more.
  const seenBy = async () =>
    queryIn<{ seen_by: string; seen_at: number; fired_at: number }>(
      schema,
      `SELECT seen_by, seen_at, fired_at FROM alerts WHERE alert_key = 'refusal_surge:EVENT_NOT_ALLOWLISTED'`,
    )
  const lookers = new Set<string>()
  await eventually(
    async () => {
      for (const row of await seenBy()) lookers.add(row.seen_by)
      return lookers.size === 2 ? true : undefined
    },
    20_000,
    'both instances seeing the open alert',
  )
  const surge = () => hook.received.filter((r) => r.body.alert === 'refusal_surge')
  expect(surge()).toHaveLength(1)

  // The alert is shared: both consoles list the same one.
  for (const proc of [a, b]) {
    const res = await fetch(`${proc.url}/admin/alerts`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    })
    const list = (await res.json()) as { alerts: Array<{ key: string; state: string }> }
    expect(list.alerts.filter((x) => x.key === 'refusal_surge:EVENT_NOT_ALLOWLISTED')).toHaveLength(1)
  }
  // Resolving it once: the refusals leave the window when the store forgets them, here by hand.
  await queryIn(schema, 'DELETE FROM refusals')
  await eventually(
    () => (surge().some((r) => r.body.state === 'resolved') ? true : undefined),
    20_000,
    'the resolved notice',
  )
  await eventually(async () => {
    const rows = await queryIn<{ n: number }>(
      schema,
      'SELECT COUNT(*)::int AS n FROM alerts WHERE resolved_at IS NULL',
    )
    return rows[0]!.n === 0 ? true : undefined
  })
  expect(surge().map((r) => r.body.state)).toEqual(['firing', 'resolved'])
})
