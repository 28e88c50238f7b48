import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest'
import type { Observation } from '../../src/alerts/conditions.js'
import { webhookDestination } from '../../src/alerts/destinations.js'
import { AlertMonitor, type Sighting } from '../../src/alerts/monitor.js'
import { openSqliteStorage } from '../../src/pipeline/storage/sqlite.js'
import type { Storage } from '../../src/pipeline/storage/storage.js'
import { createLogger } from '../../src/server/logger.js'
import { CALM, DEFAULT_THRESHOLDS } from './fixtures.js'
import { startWebhookReceiver } from './receivers.js'

/**
 * The monitor on a real SQLite store and a real webhook receiver, looking at scripted observations
 * with a stepped clock: each `look()` is one evaluation, no sleeping.
 */
const HOUR = 3_600_000
const T0 = Date.UTC(2026, 11, 7, 3, 0, 0)
const thresholds = DEFAULT_THRESHOLDS
const calm: Sighting = { ...CALM, storeRead: true }

let hook: Awaited<ReturnType<typeof startWebhookReceiver>>
let dir: string
let storage: Storage
let now: number
let seen: Sighting
let monitor: AlertMonitor

beforeAll(async () => {
  hook = await startWebhookReceiver()
})
afterAll(async () => {
  await hook.close()
})
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'alert-monitor-'))
  storage = openSqliteStorage({ path: join(dir, 'destination.db') })
  hook.received.length = 0
  now = T0
  seen = calm
  monitor = new AlertMonitor({
    record: storage,
    observe: async () => seen,
    thresholds,
    destinations: [webhookDestination(`${hook.url}/hook`)],
    consoleUrl: () => 'http://127.0.0.1:8080',
    intervalMs: 30_000,
    retentionMs: 30 * 24 * HOUR,
    instance: 'test-instance',
    now: () => now,
    logger: createLogger('silent'),
  })
  return async () => {
    await monitor.stop()
    await storage.close()
    rmSync(dir, { recursive: true, force: true })
  }
})

/** One look at `observation` at time `at`, then until every message it sent has arrived. */
async function look(
  at: number,
  observation: Partial<Observation> & { storeRead?: boolean },
  expected: number,
) {
  now = at
  seen = { ...calm, ...observation }
  await monitor.tick()
  await monitor.idle()
  expect(hook.received).toHaveLength(expected)
}
const states = () => hook.received.map((r) => `${r.body.alert} ${r.body.state}`)
const rejected = { credentials: { rejected: true, since: T0 } }

test('a condition that continues is told once, reminded after the reminder time, resolved once', async () => {
  await look(T0, rejected, 1)
  for (let at = T0 + 30_000; at < T0 + 4 * HOUR; at += 20 * 60_000) await look(at, rejected, 1)
  await look(T0 + 4 * HOUR, rejected, 2)
  expect(String(hook.received[1]!.body.text)).toMatch(/^STILL FIRING credentials_rejected/)
  await look(T0 + 4 * HOUR + 30_000, rejected, 2)
  await look(T0 + 5 * HOUR, {}, 3)
  await look(T0 + 5 * HOUR + 30_000, {}, 3)
  expect(states()).toEqual([
    'credentials_rejected firing',
    'credentials_rejected firing',
    'credentials_rejected resolved',
  ])
  const history = await storage.alertHistory(10)
  expect(history).toMatchObject([{ key: 'credentials_rejected', reminders: 1, resolvedAt: T0 + 5 * HOUR }])
})

test('storage unavailable is alerted from memory, cleared after two looks without it; an outage never resolves what the store holds', async () => {
  await look(T0, { parked: [{ reason: 'unknown_perk', count: 2 }] }, 1)
  // The store cannot be read: nothing about parked events is known, so nothing about them changes.
  const outage = { storeRead: false, storageProblemSince: T0 + 60_000 }
  await look(T0 + 60_000, outage, 1)
  await look(T0 + 90_000, outage, 2)
  await look(T0 + 120_000, outage, 2)
  // One look without the problem is not a fix yet (a flap would be two messages more); the second is.
  await look(T0 + 150_000, { parked: [{ reason: 'unknown_perk', count: 2 }] }, 2)
  await look(T0 + 180_000, { parked: [{ reason: 'unknown_perk', count: 2 }] }, 3)
  expect(states()).toEqual([
    'events_parked firing',
    'storage_unavailable firing',
    'storage_unavailable resolved',
  ])
  expect((await storage.openAlerts()).map((a) => a.key)).toEqual(['events_parked:unknown_perk'])
  const listed = await monitor.history(10)
  expect(listed.map((a) => [a.key, a.resolvedAt === null ? 'open' : 'resolved'])).toEqual([
    ['storage_unavailable', 'resolved'],
    ['events_parked:unknown_perk', 'open'],
  ])
})
