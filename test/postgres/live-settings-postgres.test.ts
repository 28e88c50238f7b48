import { afterAll, beforeAll, describe } from 'vitest'
import { liveSettingsScenarios } from '../service/live-settings.js'
import { dropSchema, randomSchema, requirePostgres, TEST_DATABASE_URL } from './pg-harness.js'

const schemas: string[] = []
beforeAll(requirePostgres)
afterAll(async () => {
  for (const s of schemas.splice(0)) await dropSchema(s)
})

describe('settings that change safely (serve on PostgreSQL)', () => {
  // A schema of its own per scenario, so each starts from an empty queue.
  liveSettingsScenarios(async () => {
    const schema = randomSchema('live')
    schemas.push(schema)
    return ['--database-url', TEST_DATABASE_URL, '--database-schema', schema]
  })
})
