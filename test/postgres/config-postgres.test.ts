import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { redactDatabaseUrl, scrubDatabasePassword } from '../../src/pipeline/storage/postgres-url.js'
import { startupBanner } from '../../src/server/banner.js'
import { loadConfig } from '../../src/server/config.js'
import { configProblems as problems } from '../server/config-problems.js'
import { removeDir, tempDir } from '../service/helpers.js'

const dir = tempDir('perkville-pg-config-')
afterAll(() => removeDir(dir))

test('the database options come from the command line, the environment or the config file', () => {
  const file = join(dir, 'config.json')
  writeFileSync(
    file,
    JSON.stringify({ databaseUrl: 'postgres://f@db/file', databaseSchema: 'from_file', lease: '30s' }),
  )
  const fromFile = loadConfig({ cli: { config: file }, env: {} })
  expect(fromFile).toMatchObject({
    databaseUrl: 'postgres://f@db/file',
    databaseSchema: 'from_file',
    databasePoolSize: 10,
    leaseMs: 30_000,
  })
  const fromEnv = loadConfig({
    cli: { config: file },
    env: { PERKVILLE_DATABASE_URL: 'postgresql://e:pw@db/env', PERKVILLE_DATABASE_POOL_SIZE: '4' },
  })
  expect(fromEnv).toMatchObject({ databaseUrl: 'postgresql://e:pw@db/env', databasePoolSize: 4 })
  const fromCli = loadConfig({
    cli: { config: file, databaseUrl: 'postgres://c@db/cli', databaseSchema: 'cli_schema' },
    env: { PERKVILLE_DATABASE_URL: 'postgres://e@db/env' },
  })
  expect(fromCli).toMatchObject({ databaseUrl: 'postgres://c@db/cli', databaseSchema: 'cli_schema' })
  expect(loadConfig({ cli: {}, env: {} })).toMatchObject({ databaseUrl: null, leaseMs: 120_000 })
})

test('a bad database option is named, and the URL (which may hold a password) is never repeated', () => {
  const found = problems(
    { databaseUrl: 'mysql://root:topsecret@db/x', databaseSchema: 'Bad-Name', lease: '10ms' },
    { PERKVILLE_DATABASE_POOL_SIZE: '0' },
  )
  expect(found.join('\n')).not.toContain('topsecret')
  expect(found).toEqual([
    expect.stringMatching(/^--database-url \(command line\): must be a postgres:\/\//),
    expect.stringMatching(/^--database-schema \(command line\): must be a lower-case SQL identifier/),
    expect.stringMatching(/^PERKVILLE_DATABASE_POOL_SIZE \(environment\): must be an integer from 1/),
    expect.stringMatching(/^--lease \(command line\): must be a duration/),
  ])
})

test('the password is redacted wherever the URL is shown', () => {
  expect(redactDatabaseUrl('postgres://u:p%40ss@db:5432/x')).toBe('postgres://u:redacted@db:5432/x')
  expect(redactDatabaseUrl('postgres://db/x?user=u&password=s3cret')).toBe(
    'postgres://db/x?user=u&password=redacted',
  )
  expect(redactDatabaseUrl('postgres://u@db/x')).toBe('postgres://u@db/x')
  expect(
    scrubDatabasePassword('failed for p@ss at postgres://u:p%40ss@db/x', 'postgres://u:p%40ss@db/x'),
  ).toBe('failed for [redacted] at postgres://u:redacted@db/x')
  const banner = startupBanner({
    url: 'http://127.0.0.1:8080',
    writeKeyFile: null,
    adminTokenFile: null,
    sandboxOrigin: null,
    sandboxUrl: null,
    perkvilleUrl: 'https://api.perkville.com/v2/',
    dataDir: '/tmp/d',
    database: `${redactDatabaseUrl('postgres://u:hunter2@db/x')} (schema public)`,
    webhookSigned: false,
    example: null,
  })
  expect(banner).toContain('Database     postgres://u:redacted@db/x (schema public)')
  expect(banner).not.toContain('hunter2')
})
