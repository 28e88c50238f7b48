import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { loadMigrations } from '../../src/pipeline/storage/migrations.js'
import { sqliteMigrations } from '../../src/pipeline/storage/sqlite/migrate.js'
import { openSqliteStorage } from '../../src/pipeline/storage/sqlite.js'
import { dumpSqliteSchema, undoAfterTheFirst } from './schema-dump.js'
import { newEvent } from './storage-contract.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function dbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pipeline-schema-'))
  dirs.push(dir)
  return join(dir, 'destination.db')
}

const ctx = (now: number) => ({
  now,
  dedupSince: now - 1_000,
  orderRule: () => ({ action: 'queue' as const, quantity: 1, ledger: null }),
})

// The committed snapshot is what the migrations build; rewrite it with `npm run schema:snapshot`
// after adding a migration, and review the difference.
describe('the SQLite schema', () => {
  it('is what the migrations build, as committed in test/fixtures/schema/sqlite.txt', async () => {
    const path = dbPath()
    await openSqliteStorage({ path }).close()
    await expect(dumpSqliteSchema(path)).toMatchFileSnapshot('../fixtures/schema/sqlite.txt')
  })

  it('upgrades a database made before the migrations table, keeping its events', async () => {
    const path = dbPath()
    const before = openSqliteStorage({ path })
    const now = Date.now()
    const ev = newEvent('old@x.co', now)
    await before.accept([{ events: [ev] }], ctx(now))
    await before.close()
    // What the program before the migrations table left: the same tables, counted in user_version.
    const legacy = new Database(path)
    legacy.exec('DROP TABLE migrations')
    // That program knew the first migration only: what later ones made is not there yet.
    for (const statement of undoAfterTheFirst(sqliteMigrations())) legacy.exec(statement)
    legacy.pragma('user_version = 1')
    legacy.close()

    const after = openSqliteStorage({ path })
    const [claimed] = (await after.claim(5, now, 60_000)).claims
    expect(claimed?.externalId).toBe(ev.externalId)
    // Its userId, kept since a later migration, was read from its stored payload then.
    expect((await after.search({ q: 'user-old@x.co', limit: 5 })).map((h) => h.event?.id)).toEqual([
      claimed!.id,
    ])
    await after.close()
    const db = new Database(path, { readonly: true })
    expect(db.prepare('SELECT version, name FROM migrations ORDER BY version').all()).toEqual(
      sqliteMigrations().map((m) => ({ version: m.version, name: m.name })),
    )
    db.close()
    await expect(dumpSqliteSchema(path)).toMatchFileSnapshot('../fixtures/schema/sqlite.txt')
  })

  it('refuses a database migrated further than this program knows, by either record', async () => {
    const path = dbPath()
    await openSqliteStorage({ path }).close()
    const db = new Database(path)
    db.prepare('INSERT INTO migrations (version, name) VALUES (?, ?)').run(
      sqliteMigrations().length + 1,
      'future',
    )
    db.close()
    expect(() => openSqliteStorage({ path })).toThrow(/newer than this program knows/)
  })

  it('refuses migration files that skip or repeat a number, and names the missing folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pipeline-migrations-'))
    dirs.push(dir)
    writeFileSync(join(dir, '000001_init.sql'), 'SELECT 1;')
    writeFileSync(join(dir, '000003_later.sql'), 'SELECT 1;')
    expect(() => loadMigrations(pathToFileURL(`${dir}/`))).toThrow(/000003_later.sql .* out of sequence/)
    expect(() => loadMigrations(pathToFileURL(`${dir}/absent/`))).toThrow(/migration files are missing/)
  })
})
