// The PostgreSQL the service benchmarks use: a local database (the tests' one by default), one fresh
// schema per measurement, dropped at the end. PERKVILLE_BENCH_DATABASE_URL points elsewhere.
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import pg from 'pg'

export const BENCH_DATABASE_URL =
  process.env.PERKVILLE_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** A schema name no other run uses. */
export function benchSchema(tag) {
  return `bench_${tag}_${randomBytes(4).toString('hex')}`
}

/** The serve options that put a service on `schema`. */
export function pgArgs(schema) {
  return ['--database-url', BENCH_DATABASE_URL, '--database-schema', schema]
}

/** Null when the database answers, else why not (the password, if any, is not shown). */
export async function pgUnreachable() {
  const client = new pg.Client({ connectionString: BENCH_DATABASE_URL, connectionTimeoutMillis: 3_000 })
  try {
    await client.connect()
    await client.query('SELECT 1')
    return null
  } catch (err) {
    return err instanceof Error ? err.message : String(err)
  } finally {
    await client.end().catch(() => undefined)
  }
}

export async function dropSchemas(schemas) {
  if (schemas.length === 0) return
  const client = new pg.Client({ connectionString: BENCH_DATABASE_URL })
  await client.connect()
  try {
    for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`)
  } finally {
    await client.end()
  }
}

/**
 * CPU seconds used so far by the PostgreSQL server on this machine (every `postgres` process, plus
 * what the postmaster reaped from exited backends), or null when it does not run here (Linux /proc).
 */
export function pgCpuSeconds() {
  const procs = []
  let entries
  try {
    entries = readdirSync('/proc')
  } catch {
    return null
  }
  for (const pid of entries) {
    if (!/^\d+$/.test(pid)) continue
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const close = stat.lastIndexOf(')')
      const comm = stat.slice(stat.indexOf('(') + 1, close)
      if (comm !== 'postgres') continue
      const f = stat.slice(close + 2).split(' ')
      // Fields from state (3rd): utime 14, stime 15, cutime 16, cstime 17, starttime 22.
      procs.push({
        own: Number(f[11]) + Number(f[12]),
        reaped: Number(f[13]) + Number(f[14]),
        start: Number(f[19]),
      })
    } catch {
      // gone meanwhile
    }
  }
  if (procs.length === 0) return null
  const postmaster = procs.reduce((a, b) => (b.start < a.start ? b : a))
  const ticks = procs.reduce((sum, p) => sum + p.own, 0) + postmaster.reaped
  return ticks / 100
}
