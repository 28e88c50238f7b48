import { afterAll, beforeAll, expect, it } from 'vitest'
import { type RunningSandbox, startSandbox } from '../../src/sandbox/index.js'
import {
  basicAuth,
  eventually,
  removeDir,
  type ServeProcess,
  spawnServe,
  startServe,
  stopServe,
  tempDir,
  writeSandboxSettings,
} from '../service/helpers.js'
import { dropSchema, queryIn, randomSchema, requirePostgres, TEST_DATABASE_URL } from './pg-harness.js'

/**
 * Two `serve` processes (dist/, so `npm run build` first) on one PostgreSQL schema and one sandbox
 * that lives in the test process: the sandbox's transactions are what "reached Perkville" means.
 */
const WRITE_KEY = 'pg-multi-write-key'
const schema = randomSchema('serve')
const running: ServeProcess[] = []
const dirs: string[] = []
let sandbox: RunningSandbox
let args: string[]

/** The test URL with a password in it (trust auth ignores it), to check it is never shown. */
function urlWithPassword(): { url: string; password: string } {
  const parsed = new URL(TEST_DATABASE_URL)
  if (parsed.password === '') parsed.password = 'pw-must-never-show-9f3k'
  return { url: parsed.toString(), password: decodeURIComponent(parsed.password) }
}
const db = urlWithPassword()

beforeAll(async () => {
  await requirePostgres()
  sandbox = await startSandbox({ memory: true })
  // Slow deliveries, so some are in flight when an instance is killed.
  sandbox.setFaults({ latencyMs: 150, latencyJitterMs: 100, scope: 'writes' })
  const dir = tempDir('perkville-pg-serve-')
  dirs.push(dir)
  const settings = writeSandboxSettings(dir, sandbox.token)
  args = [
    '--perkville-url',
    sandbox.url,
    '--settings',
    settings,
    '--write-key',
    WRITE_KEY,
    '--database-url',
    db.url,
    '--database-schema',
    schema,
    '--lease',
    '2s',
    '--concurrency',
    '6',
  ]
})
afterAll(async () => {
  for (const proc of running) await stopServe(proc, 'SIGKILL')
  await sandbox?.close()
  for (const d of dirs) removeDir(d)
  await dropSchema(schema)
})

async function sendBatch(url: string, batch: object[]): Promise<void> {
  const res = await fetch(`${url}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basicAuth(WRITE_KEY) },
    body: JSON.stringify({ batch }),
  })
  if (res.status !== 200) throw new Error(`batch answered ${res.status}: ${await res.text()}`)
}

it('two serve processes share one database; after one is SIGKILLed the other finishes its work', async () => {
  const [a, b] = await Promise.all([
    startServe({ args, env: { PERKVILLE_LOG_LEVEL: 'info' } }),
    startServe({ args, env: { PERKVILLE_LOG_LEVEL: 'info' } }),
  ])
  running.push(a, b)
  const CUSTOMERS = 30
  const ROUNDS = 10
  const order = new Map<string, string[]>()
  // Round r goes to one instance and is acknowledged before round r+1 goes to the other, so each
  // customer's events have a definite order across instances. Some rounds also go to the other
  // instance at the same moment (a client retrying elsewhere): queued once.
  for (let r = 0; r < ROUNDS; r++) {
    const batch = Array.from({ length: CUSTOMERS }, (_, c) => {
      const email = `serve${c}@example.com`
      const messageId = `pgs-${r}-${c}`
      order.set(email, [...(order.get(email) ?? []), messageId])
      return { type: 'track', event: 'Checked In', userId: `u${c}`, messageId, properties: { email } }
    })
    const [first, other] = r % 2 === 0 ? [a, b] : [b, a]
    if (r % 3 === 0) await Promise.all([sendBatch(first.url, batch), sendBatch(other.url, batch)])
    else await sendBatch(first.url, batch)
  }
  const total = CUSTOMERS * ROUNDS
  // Kill one instance while deliveries are under way: its leases are left behind in the database.
  expect(sandbox.transactions().length).toBeLessThan(total)
  b.child.kill('SIGKILL')
  expect((await b.exited).signal).toBe('SIGKILL')

  await eventually(
    () => (new Set(sandbox.transactions().map((t) => t.trans_source_id)).size >= total ? true : undefined),
    45_000,
    'every event in the sandbox',
  )
  await eventually(
    async () => {
      const rows = await queryIn<{ n: number }>(
        schema,
        `SELECT COUNT(*)::int AS n FROM events WHERE status IN ('pending', 'in_flight', 'retrying')`,
      )
      return rows[0]!.n === 0 ? true : undefined
    },
    15_000,
    'an empty queue',
  )
  const txs = [...sandbox.transactions()].sort((x, y) => x.id - y.id)
  const ids = txs.map((t) => t.trans_source_id)
  expect(ids.length).toBe(total)
  expect(new Set(ids).size).toBe(total)
  for (const [email, sent] of order) {
    expect(txs.filter((t) => t.email === email).map((t) => t.trans_source_id)).toEqual(sent)
  }
  const stored = await queryIn<{ n: number }>(schema, 'SELECT COUNT(*)::int AS n FROM events')
  expect(stored[0]!.n).toBe(total)
  // The killed instance's deliveries were taken over after their leases expired, settled by lookup
  // (never resent blind: no POST met 409).
  const outcomes = await queryIn<{ outcome: string; n: number }>(
    schema,
    'SELECT outcome, COUNT(*)::int AS n FROM attempts GROUP BY outcome',
  )
  const count = (o: string) => outcomes.find((x) => x.outcome === o)?.n ?? 0
  expect(count('settled_found') + count('settled_not_found')).toBeGreaterThan(0)
  expect(count('already_delivered')).toBe(0)

  const ready = await fetch(`${a.url}/readyz`)
  expect(ready.status).toBe(200)
  expect(await ready.json()).toMatchObject({ ready: true, reasons: [] })
  expect(a.stdout()).toContain(`Database     ${new URL(db.url).protocol}//`)
  for (const proc of [a, b]) {
    expect(proc.stdout() + proc.stderr()).not.toContain(db.password)
  }
  expect((await stopServe(a, 'SIGTERM')).code).toBe(0)
}, 90_000)

it('a database that cannot be opened stops the start with a clear message and no password', async () => {
  const dir = tempDir('perkville-pg-bad-')
  dirs.push(dir)
  const proc = spawnServe({
    dataDir: dir,
    args: ['--database-url', 'postgres://someone:hunter2-secret@127.0.0.1:1/nowhere'],
  })
  const exit = await proc.exited
  expect(exit.code).toBe(2)
  const said = proc.stderr() + proc.stdout()
  expect(said).toContain(
    'cannot open the PostgreSQL database postgres://someone:redacted@127.0.0.1:1/nowhere',
  )
  expect(said).not.toContain('hunter2-secret')

  const bad = spawnServe({ dataDir: dir, args: ['--database-url', 'mysql://root:hunter2-secret@db/x'] })
  expect((await bad.exited).code).toBe(2)
  expect(bad.stderr()).toContain('--database-url (command line): must be a postgres://')
  expect(bad.stderr() + bad.stdout()).not.toContain('hunter2-secret')
})
