import { afterAll, beforeAll, expect, it } from 'vitest'
import { type RunningSandbox, startSandbox } from '../../src/sandbox/index.js'
import {
  removeDir,
  type ServeProcess,
  spawnServe,
  startServe,
  stopServe,
  tempDir,
  writeSandboxSettings,
} from '../service/helpers.js'
import { dropSchema, randomSchema, requirePostgres, TEST_DATABASE_URL } from './pg-harness.js'
import { CUSTOMERS, expectDeliveredOnce, sendRounds } from './two-serves.js'

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

it('two serve processes share one database; after one is SIGKILLed the other finishes its work', async () => {
  const [a, b] = await Promise.all([
    startServe({ args, env: { PERKVILLE_LOG_LEVEL: 'info' } }),
    startServe({ args, env: { PERKVILLE_LOG_LEVEL: 'info' } }),
  ])
  running.push(a, b)
  const order = new Map<string, string[]>()
  await sendRounds([a, b], WRITE_KEY, order, 0, 10)
  // Kill one instance while deliveries are under way: its leases are left behind in the database.
  expect(sandbox.transactions().length).toBeLessThan(CUSTOMERS * 10)
  b.child.kill('SIGKILL')
  expect((await b.exited).signal).toBe('SIGKILL')

  const outcomes = await expectDeliveredOnce(sandbox, schema, order)
  // The killed instance's deliveries were taken over after their leases expired, settled by lookup.
  expect((outcomes.get('settled_found') ?? 0) + (outcomes.get('settled_not_found') ?? 0)).toBeGreaterThan(0)

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
