import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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
import { type PgBouncer, startPgBouncer } from './pgbouncer.js'
import { CUSTOMERS, expectDeliveredOnce, sendRounds } from './two-serves.js'

/**
 * Two `serve` processes (dist/) on one schema, reaching PostgreSQL through Debian's PgBouncer with
 * no ignore_startup_parameters; one is SIGKILLed while deliveries are under way and started again.
 */
const WRITE_KEY = 'pgbouncer-write-key'
const running: ServeProcess[] = []
const dirs: string[] = []
const schemas: string[] = []
const sandboxes: RunningSandbox[] = []

beforeAll(requirePostgres)
afterAll(async () => {
  for (const proc of running) await stopServe(proc, 'SIGKILL')
  for (const s of sandboxes) await s.close()
  for (const d of dirs) removeDir(d)
  for (const s of schemas) await dropSchema(s)
})

function argsFor(
  sandbox: RunningSandbox,
  settings: string,
  bouncer: PgBouncer,
  schema: string,
  extra: string[],
) {
  return [
    '--perkville-url',
    sandbox.url,
    '--settings',
    settings,
    '--write-key',
    WRITE_KEY,
    '--database-url',
    bouncer.url,
    '--database-schema',
    schema,
    '--lease',
    '2s',
    '--concurrency',
    '6',
    ...extra,
  ]
}

/**
 * a and b take rounds in turn; b is SIGKILLed mid-delivery and started again on its data directory,
 * then both take more rounds. Returns what the run needs checked beyond exactly-once delivery.
 */
async function killAndRestartRun(bouncer: PgBouncer, aExtra: string[], bExtra: string[]) {
  const schema = randomSchema('bouncer')
  schemas.push(schema)
  const sandbox = await startSandbox({ memory: true })
  sandboxes.push(sandbox)
  // Slow deliveries, so some are in flight when an instance is killed.
  sandbox.setFaults({ latencyMs: 150, latencyJitterMs: 100, scope: 'writes' })
  const dir = tempDir('perkville-pgbouncer-')
  dirs.push(dir)
  const settings = writeSandboxSettings(dir, sandbox.token)
  const args = (extra: string[]) => argsFor(sandbox, settings, bouncer, schema, extra)
  const started = Date.now()
  const env = { PERKVILLE_LOG_LEVEL: 'info' }
  const a = await startServe({ args: args(aExtra), env })
  const b = await startServe({ args: args(bExtra), env })
  running.push(a, b)
  const order = new Map<string, string[]>()
  await sendRounds([a, b], WRITE_KEY, order, 0, 6)
  expect(sandbox.transactions().length).toBeLessThan(CUSTOMERS * 6)
  b.child.kill('SIGKILL')
  expect((await b.exited).signal).toBe('SIGKILL')
  // The killed instance starts again through the same pooler (its server connections still carry
  // whatever it left on them).
  const b2 = await startServe({ ...b.options, dataDir: b.dataDir })
  running.push(b2)
  await sendRounds([a, b2], WRITE_KEY, order, 6, 10)
  const outcomes = await expectDeliveredOnce(sandbox, schema, order)
  for (const proc of [a, b2]) {
    const ready = await fetch(`${proc.url}/readyz`)
    expect(await ready.json()).toMatchObject({ ready: true, reasons: [] })
  }
  const acknowledged = [...order.values()].reduce((n, ids) => n + ids.length, 0)
  console.info(
    `PgBouncer ${bouncer.mode}: ${acknowledged} acknowledged, ${sandbox.transactions().length} delivered once each, ` +
      `attempt outcomes ${JSON.stringify(Object.fromEntries(outcomes))}, ${((Date.now() - started) / 1000).toFixed(1)} s`,
  )
  const said = [a, b, b2].map((p) => p.stdout() + p.stderr())
  for (const proc of [a, b2]) expect((await stopServe(proc, 'SIGTERM')).code).toBe(0)
  return { said }
}

describe('through PgBouncer', () => {
  it('session pooling: two instances, one SIGKILLed and restarted, deliver every acknowledged event exactly once', async () => {
    const bouncer = await startPgBouncer({ poolMode: 'session', poolSize: 40 })
    try {
      const { said } = await killAndRestartRun(bouncer, [], [])
      // Session pooling keeps named statements and LISTEN working: nothing to switch.
      for (const text of said) expect(text).not.toContain('pooled per transaction')
    } finally {
      await bouncer.stop()
    }
  }, 120_000)

  it('transaction pooling, declared (LISTEN straight to PostgreSQL) and found by its errors: the same, in the given schema', async () => {
    // Two server connections for twenty-odd clients: every instance's transactions share them.
    const bouncer = await startPgBouncer({ poolMode: 'transaction', poolSize: 2 })
    try {
      const { said } = await killAndRestartRun(
        bouncer,
        ['--database-pooling', 'transaction', '--database-listen-url', TEST_DATABASE_URL],
        [],
      )
      expect(said[0]).not.toContain('pooled per transaction')
      // The undeclared instance found the pooler by its first clash of named statements, and says what to set.
      expect(said[1]! + said[2]!).toMatch(/pooled per transaction.*--database-pooling transaction/)
    } finally {
      await bouncer.stop()
    }
  }, 120_000)

  it('a pooler that cannot serve it is named, with what to change: statement pooling, a startup parameter in the URL', async () => {
    const bouncer = await startPgBouncer({ poolMode: 'statement', poolSize: 2 })
    try {
      const statement = spawnServe({ args: ['--database-url', bouncer.url] })
      dirs.push(statement.dataDir)
      expect((await statement.exited).code).toBe(2)
      expect(statement.stderr()).toContain("PgBouncer's pool_mode = statement cannot run transactions")
      const withOptions = new URL(bouncer.url)
      withOptions.searchParams.set('options', '-c search_path=elsewhere')
      const option = spawnServe({ args: ['--database-url', withOptions.toString()] })
      dirs.push(option.dataDir)
      expect((await option.exited).code).toBe(2)
      expect(option.stderr()).toMatch(/unsupported startup parameter.*ignore_startup_parameters/)
    } finally {
      await bouncer.stop()
    }
  })
})
