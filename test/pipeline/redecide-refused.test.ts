/**
 * Refused events awarded after a fix: decided again under the settings in force, previewed first,
 * each queued at most once however often it is asked. On both stores.
 */
import { afterAll, describe, expect, test } from 'vitest'
import { parseSettings } from '../../src/core/settings.js'
import type { DeliveryService } from '../../src/pipeline/service-api.js'
import type { RunningSandbox } from '../../src/sandbox/index.js'
import { startSandbox } from '../../src/sandbox/index.js'
import { dropSchema, randomSchema, requirePostgres } from '../postgres/pg-harness.js'
import { openPostgresInstance } from '../postgres/pg-instance.js'
import { MAP, startHarness, track, waitFor } from './harness.js'

const cleanups: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const c of cleanups.reverse()) await c()
})

async function scenario(service: DeliveryService, sandbox: RunningSandbox) {
  const email = `booked-${Date.now()}@example.com`
  const booked = (n: number) => track(email, 'Class Booked', {}, { messageId: `booked-${email}-${n}` })
  const accepted = await service.accept([booked(1), booked(2), track(email, 'Logged In')])
  expect(accepted.rejected).toBe(3)

  // Before the fix: nothing would send.
  expect(await service.redecideRefused({ q: email }, true)).toEqual({
    matched: 3,
    wouldSend: 0,
    stillRefused: { EVENT_NOT_ALLOWLISTED: 3 },
  })
  await service.updateSettings(
    parseSettings({
      apiKey: sandbox.token,
      businessId: 1001,
      locationId: 2001,
      eventToPerkMap: { ...MAP, 'Class Booked': 3001 },
    }),
  )
  expect(await service.redecideRefused({ q: email }, true)).toEqual({
    matched: 3,
    wouldSend: 2,
    stillRefused: { EVENT_NOT_ALLOWLISTED: 1 },
  })
  // The preview queued nothing.
  expect(sandbox.transactions().filter((t) => t.email === email)).toEqual([])
  expect(await service.redecideRefused({ q: email, code: 'EVENT_NOT_ALLOWLISTED' }, false)).toEqual({
    matched: 3,
    queued: 2,
    alreadyQueued: 0,
    stillRefused: { EVENT_NOT_ALLOWLISTED: 1 },
  })
  await waitFor(
    async () => sandbox.transactions().filter((t) => t.email === email).length === 2,
    'two awards',
  )
  // Asked again: each event was queued once, nothing new.
  expect(await service.redecideRefused({ q: email }, false)).toEqual({
    matched: 3,
    queued: 0,
    alreadyQueued: 2,
    stillRefused: { EVENT_NOT_ALLOWLISTED: 1 },
  })
  // A filter that matches nothing of them (another code, a range before them) touches nothing.
  expect(await service.redecideRefused({ q: email, code: 'MISSING_EMAIL' }, false)).toMatchObject({
    matched: 0,
  })
  expect(await service.redecideRefused({ q: email, to: Date.now() - 3_600_000 }, true)).toMatchObject({
    matched: 0,
  })
  await new Promise((resolve) => setTimeout(resolve, 300))
  const awards = sandbox.transactions().filter((t) => t.email === email)
  expect(awards).toHaveLength(2)
  expect(new Set(awards.map((t) => t.trans_source_id)).size).toBe(2)
}

describe('POST /admin/refused/redecide', () => {
  test('SQLite', async () => {
    const h = await startHarness()
    cleanups.push(() => h.close())
    await scenario(h.service, h.sandbox)
  })

  test('PostgreSQL', async () => {
    await requirePostgres()
    const sandbox = await startSandbox({ memory: true })
    const schema = randomSchema('redecide')
    cleanups.push(async () => {
      await sandbox.close()
      await dropSchema(schema)
    })
    const service = await openPostgresInstance(schema, sandbox, cleanups, { pollMs: 50 })
    await service.start()
    await scenario(service, sandbox)
  })
})
