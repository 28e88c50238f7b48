import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postgresMigrations } from '../../src/pipeline/storage/postgres/migrate.js'
import { openPostgresStorage } from '../../src/pipeline/storage/postgres.js'
import { undoAfterTheFirst } from '../pipeline/schema-dump.js'
import { newEvent } from '../pipeline/storage-contract.js'
import { dropSchema, queryIn, randomSchema, requirePostgres, TEST_DATABASE_URL } from './pg-harness.js'
import { dumpPostgresSchema } from './schema-dump.js'

const schemas: string[] = []
beforeAll(requirePostgres)
afterAll(async () => {
  for (const s of schemas.splice(0)) await dropSchema(s)
})

function schemaName(): string {
  const s = randomSchema()
  schemas.push(s)
  return s
}

const open = (schema: string) => openPostgresStorage({ connectionString: TEST_DATABASE_URL, schema })
const ctx = (now: number) => ({
  now,
  dedupSince: now - 1_000,
  orderRule: () => ({ action: 'queue' as const, quantity: 1, ledger: null }),
})

// The committed snapshot is what the migrations build; rewrite it with `npm run schema:snapshot`
// after adding a migration, and review the difference.
describe('the PostgreSQL schema', () => {
  it('is what the migrations build, as committed in test/fixtures/schema/postgres.txt', async () => {
    const schema = schemaName()
    await (await open(schema)).close()
    await expect(await dumpPostgresSchema(schema)).toMatchFileSnapshot('../fixtures/schema/postgres.txt')
  })

  it('upgrades a schema made before the migrations table (schema_version), keeping its events', async () => {
    const schema = schemaName()
    const before = await open(schema)
    const now = Date.now()
    const ev = newEvent('old@x.co', now)
    await before.accept([{ events: [ev] }], ctx(now))
    await before.close()
    // What the program before the migrations table left: the same tables, counted in schema_version.
    await queryIn(schema, 'DROP TABLE migrations')
    // That program knew the first migration only: what later ones made is not there yet.
    for (const statement of undoAfterTheFirst(postgresMigrations())) await queryIn(schema, statement)
    await queryIn(schema, 'CREATE TABLE schema_version (version INTEGER NOT NULL)')
    await queryIn(schema, 'INSERT INTO schema_version VALUES (1)')

    const after = await open(schema)
    const [claimed] = (await after.claim(5, now, 60_000)).claims
    expect(claimed?.externalId).toBe(ev.externalId)
    // Its userId, kept since a later migration, was read from its stored payload then.
    expect((await after.search({ q: 'user-old@x.co', limit: 5 })).map((h) => h.event?.id)).toEqual([
      claimed!.id,
    ])
    await after.close()
    expect(await queryIn(schema, 'SELECT version, name FROM migrations ORDER BY version')).toEqual(
      postgresMigrations().map((m) => ({ version: m.version, name: m.name })),
    )
    await expect(await dumpPostgresSchema(schema)).toMatchFileSnapshot('../fixtures/schema/postgres.txt')
  })

  it('refuses a schema_version newer than this program knows', async () => {
    const schema = schemaName()
    await (await open(schema)).close()
    await queryIn(schema, 'DROP TABLE migrations')
    await queryIn(schema, 'CREATE TABLE schema_version (version INTEGER NOT NULL)')
    await queryIn(schema, `INSERT INTO schema_version VALUES (${postgresMigrations().length + 1})`)
    await expect(open(schema)).rejects.toThrow(/newer than this program knows/)
  })
})
