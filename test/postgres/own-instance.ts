/**
 * A PostgreSQL server of the test's own, on its own port and directory, that the test may stop and
 * start (the shared one at 5432 is never touched). Runs initdb and pg_ctl from
 * /usr/lib/postgresql/<version>/bin as the `postgres` user when the tests run as root.
 */
import { execFileSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'

export interface OwnPostgres {
  url: string
  port: number
  stop(): void
  start(): void
  /** Stops it and removes its files. */
  destroy(): void
}

function binDir(): string {
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : []
  const found = versions.map((v) => join(root, v, 'bin')).find((dir) => existsSync(join(dir, 'pg_ctl')))
  if (!found) throw new Error(`no PostgreSQL server binaries under ${root} (apt-get install postgresql)`)
  return found
}

/** A loopback port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  return typeof address === 'object' && address !== null ? address.port : 0
}

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const bin = binDir()
  const dir = mkdtempSync(join(tmpdir(), 'own-pg-'))
  const data = join(dir, 'data')
  const asRoot = userInfo().uid === 0
  if (asRoot) {
    const id = (what: string) => Number(execFileSync('id', [what, 'postgres'], { encoding: 'utf8' }).trim())
    chownSync(dir, id('-u'), id('-g'))
  }
  const run = (tool: string, args: string[]) => {
    const command = [join(bin, tool), ...args]
    execFileSync(
      asRoot ? 'runuser' : command[0]!,
      asRoot ? ['-u', 'postgres', '--', ...command] : command.slice(1),
      {
        stdio: 'pipe',
        timeout: 60_000,
      },
    )
  }
  const port = await freePort()
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync'])
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`
  const pg: OwnPostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start: () => run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start']),
    stop: () => run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']),
    destroy: () => {
      try {
        pg.stop()
      } catch {}
      rmSync(dir, { recursive: true, force: true })
    },
  }
  pg.start()
  return pg
}
