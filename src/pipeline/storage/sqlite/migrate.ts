import type Database from 'better-sqlite3'
import { loadMigrations, type Migration, newerSchemaError } from '../migrations.js'

export const SQLITE_MIGRATIONS: readonly Migration[] = loadMigrations(
  new URL('./migrations/', import.meta.url),
)

/**
 * Applies the migrations this database has not run, each in its own transaction, and records them
 * in `migrations`. A database from before that table counted its migrations in `PRAGMA user_version`
 * (the same files, in the same order), so those count as run. user_version is kept in step, so a
 * program from before the table still refuses a newer database.
 */
export function migrateSqlite(db: Database.Database, migrations = SQLITE_MIGRATIONS): void {
  db.exec(`CREATE TABLE IF NOT EXISTS migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
  )`)
  const record = db.prepare(`INSERT INTO migrations (version, name) VALUES (?, ?)`)
  const recorded = (db.prepare(`SELECT MAX(version) FROM migrations`).pluck().get() as number | null) ?? 0
  const legacy = db.pragma('user_version', { simple: true }) as number
  const current = Math.max(recorded, legacy)
  if (current > migrations.length) throw newerSchemaError('', current, migrations.length)
  if (recorded < legacy) {
    db.transaction(() => {
      for (const m of migrations.slice(recorded, legacy)) record.run(m.version, m.name)
    })()
  }
  for (const m of migrations.slice(current)) {
    db.transaction(() => {
      db.exec(m.sql)
      record.run(m.version, m.name)
      db.pragma(`user_version = ${m.version}`)
    })()
  }
}
