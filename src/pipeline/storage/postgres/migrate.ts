import type pg from 'pg'
import { loadMigrations, type Migration, newerSchemaError } from '../migrations.js'

export const PG_MIGRATIONS: readonly Migration[] = loadMigrations(new URL('./migrations/', import.meta.url))

/** Any key will do as long as every instance uses the same one: it only serialises migrations. */
const MIGRATION_LOCK = 0x70657231

/** A schema name is spliced into SQL, so only plain lower-case identifiers are allowed. */
export function checkSchemaName(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new RangeError(
      `schema must be a lower-case SQL identifier (letters, digits, underscore; at most 63), got ${JSON.stringify(schema)}`,
    )
  }
  return schema
}

/**
 * Brings the schema up to date and records each migration in `migrations`. Several instances may
 * start at once: a transaction-level advisory lock (per schema) lets one migrate while the others
 * wait and then find nothing left to do. A schema from before that table counted its migrations in
 * `schema_version` (the same files, in the same order): those count as run, and it goes.
 * Statements run unqualified, inside the configured schema, so tests and tenants can each have their own.
 */
export async function migratePostgres(
  client: pg.ClientBase,
  schema: string,
  migrations = PG_MIGRATIONS,
): Promise<void> {
  await client.query('BEGIN')
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [MIGRATION_LOCK, schema])
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
    await client.query(`SET LOCAL search_path TO ${schema}`)
    await client.query(`CREATE TABLE IF NOT EXISTS migrations (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`)
    await adoptSchemaVersion(client, schema, migrations)
    const res = await client.query<{ version: number | null }>(
      `SELECT MAX(version) AS version FROM migrations`,
    )
    const current = res.rows[0]?.version ?? 0
    if (current > migrations.length) throw newerSchemaError(` ${schema}`, current, migrations.length)
    for (const m of migrations.slice(current)) {
      await client.query(m.sql)
      await client.query('INSERT INTO migrations (version, name) VALUES ($1, $2)', [m.version, m.name])
    }
    await client.query('COMMIT')
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw err
  }
}

/** Moves the count of a schema_version table (the record before `migrations`) into `migrations`. */
async function adoptSchemaVersion(
  client: pg.ClientBase,
  schema: string,
  migrations: readonly Migration[],
): Promise<void> {
  const legacy = await client.query<{ present: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS present`, [
    `${schema}.schema_version`,
  ])
  if (!legacy.rows[0]?.present) return
  const res = await client.query<{ version: number }>(`SELECT version FROM schema_version`)
  const version = res.rows[0]?.version ?? 0
  if (version > migrations.length) throw newerSchemaError(` ${schema}`, version, migrations.length)
  for (const m of migrations.slice(0, version)) {
    await client.query(
      'INSERT INTO migrations (version, name) VALUES ($1, $2) ON CONFLICT (version) DO NOTHING',
      [m.version, m.name],
    )
  }
  await client.query('DROP TABLE schema_version')
}
