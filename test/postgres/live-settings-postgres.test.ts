import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSandbox } from '../../src/sandbox/index.js'
import { eventually } from '../service/helpers.js'
import { LiveService, liveSettingsScenarios } from '../service/live-settings.js'
import { dropSchema, randomSchema, requirePostgres, TEST_DATABASE_URL } from './pg-harness.js'

const schemas: string[] = []
beforeAll(requirePostgres)
afterAll(async () => {
  for (const s of schemas.splice(0)) await dropSchema(s)
})

function storeArgs(): string[] {
  const schema = randomSchema('live')
  schemas.push(schema)
  return ['--database-url', TEST_DATABASE_URL, '--database-schema', schema]
}

describe('settings that change safely (serve on PostgreSQL)', () => {
  // A schema of its own per scenario, so each starts from an empty queue.
  liveSettingsScenarios(async () => storeArgs())

  it('two instances on one database: a PUT on one is taken up by the other, and every parked event is delivered once', async () => {
    const sandbox = await startSandbox({ memory: true })
    const shared = storeArgs()
    const a = new LiveService(sandbox, shared)
    const b = new LiveService(sandbox, shared)
    try {
      for (const live of [a, b]) {
        live.writeSettings(2999)
        await live.start()
      }
      const emails = Array.from({ length: 6 }, (_, i) => `two-${i}@example.com`)
      await a.send('Checked In', emails.slice(0, 3))
      await b.send('Checked In', emails.slice(3))
      await eventually(
        async () => ((await a.statusesOf(emails)).every((s) => s === 'parked') ? true : undefined),
        15_000,
        'every event parked',
      )
      const put = await a.admin<{ version: number }>('PUT', '/settings', {
        businessId: 1001,
        locationId: 2001,
        eventToPerkMap: { 'Checked In': 3001 },
      })
      expect(put.json.version).toBe(2)
      await eventually(
        async () =>
          (await b.admin<{ version: number }>('GET', '/settings')).json.version === 2 ? true : undefined,
        15_000,
        'the other instance on version 2',
      )
      await eventually(
        async () => ((await b.statusesOf(emails)).every((s) => s === 'delivered') ? true : undefined),
        20_000,
        'every event delivered',
      )
      for (const e of emails) expect(a.landed(e)).toEqual([expect.objectContaining({ location: 2001 })])
    } finally {
      await a.close()
      await b.close()
      await sandbox.close()
    }
  })
})
