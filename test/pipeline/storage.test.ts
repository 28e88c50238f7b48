import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { SQLITE_MIGRATIONS as MIGRATIONS } from '../../src/pipeline/storage/sqlite/migrate.js'
import { openSqliteStorage } from '../../src/pipeline/storage/sqlite.js'
import type { Storage } from '../../src/pipeline/storage/storage.js'
import { storageContract } from './storage-contract.js'

const dirs: string[] = []
const open: Storage[] = []
afterEach(async () => {
  for (const s of open.splice(0)) await s.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function fresh(): { storage: Storage; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pipeline-storage-'))
  dirs.push(dir)
  const path = join(dir, 'destination.db')
  const storage = openSqliteStorage({ path })
  open.push(storage)
  return { storage, path }
}

describe('SQLite storage', () => {
  it('records the schema version and refuses a newer database', async () => {
    const { storage, path } = fresh()
    await storage.close()
    const db = new Database(path)
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`)
    db.close()
    expect(() => openSqliteStorage({ path })).toThrow(/newer than this program/)
  })
})

describe('the Storage contract, on SQLite', () => {
  storageContract(async () => fresh().storage)
})
