import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** The test database: a local PostgreSQL with trust auth, unless PERKVILLE_TEST_DATABASE_URL says otherwise. */
export const TEST_DATABASE_URL =
  process.env.PERKVILLE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

const HOW_TO_START =
  'start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start ' +
  '(or point PERKVILLE_TEST_DATABASE_URL at a reachable database)'

/** Fails loudly (never skips) when the test database is not reachable. */
export async function requirePostgres(): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3_000 })
  try {
    await client.connect()
    await client.query('SELECT 1')
  } catch (err) {
    const safe = TEST_DATABASE_URL.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:[redacted]@')
    throw new Error(
      `PostgreSQL is not reachable at ${safe} (${err instanceof Error ? err.message : String(err)}); ${HOW_TO_START}`,
    )
  } finally {
    await client.end().catch(() => undefined)
  }
}

/** A schema name no other test run uses; drop it with dropSchema when done. */
export function randomSchema(prefix = 't'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL })
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  } finally {
    await client.end()
  }
}

/** Runs one query against the test database inside `schema` (for assertions on stored rows). */
export async function queryIn<R extends pg.QueryResultRow>(
  schema: string,
  sql: string,
  args: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${schema}` })
  await client.connect()
  try {
    return (await client.query<R>(sql, args)).rows
  } finally {
    await client.end()
  }
}
