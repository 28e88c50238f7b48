/**
 * Debian's PgBouncer (`apt-get install pgbouncer`, which .ci/run does), started by a test on a free
 * loopback port in front of the test database, in the pool mode the test asks for. It runs as the
 * `postgres` user when the tests run as root (PgBouncer refuses root).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { type TestDaemon, testDaemon } from '../cli-child.js'
import { freePort } from './own-instance.js'
import { TEST_DATABASE_URL } from './pg-harness.js'

const PGBOUNCER = '/usr/sbin/pgbouncer'

export interface PgBouncer extends TestDaemon {
  mode: 'session' | 'transaction' | 'statement'
  /** TEST_DATABASE_URL, through PgBouncer. */
  url: string
}

export async function startPgBouncer(opts: {
  poolMode: 'session' | 'transaction' | 'statement'
  /** Server connections per database and user: fewer than the clients makes them share. */
  poolSize: number
}): Promise<PgBouncer> {
  if (!existsSync(PGBOUNCER)) throw new Error(`${PGBOUNCER} is missing: apt-get install pgbouncer`)
  const target = new URL(TEST_DATABASE_URL)
  const user = decodeURIComponent(target.username) || 'postgres'
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'pgbouncer-'))
  chmodSync(dir, 0o755)
  const ini = join(dir, 'pgbouncer.ini')
  const users = join(dir, 'users.txt')
  writeFileSync(users, `"${user}" ""\n`, { mode: 0o644 })
  // No ignore_startup_parameters: the service must connect without any.
  writeFileSync(
    ini,
    [
      '[databases]',
      `* = host=${target.hostname} port=${target.port || 5432}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${users}`,
      `pool_mode = ${opts.poolMode}`,
      `default_pool_size = ${opts.poolSize}`,
      'max_client_conn = 200',
      '',
    ].join('\n'),
    { mode: 0o644 },
  )
  const args = userInfo().uid === 0 ? ['-u', 'postgres', ini] : [ini]
  const child: ChildProcess = spawn(PGBOUNCER, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const through = new URL(TEST_DATABASE_URL)
  through.hostname = '127.0.0.1'
  through.port = String(port)
  const url = through.toString()
  const bouncer: PgBouncer = { mode: opts.poolMode, url, ...testDaemon(child, dir) }
  const deadline = Date.now() + 15_000
  for (;;) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 })
    try {
      await client.connect()
      await client.query('SELECT 1')
      return bouncer
    } catch (err) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await bouncer.stop()
        throw new Error(`PgBouncer did not start (${(err as Error).message}):\n${bouncer.log()}`)
      }
      await sleep(100)
    } finally {
      await client.end().catch(() => undefined)
    }
  }
}
