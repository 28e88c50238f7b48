import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Analytics } from '@segment/analytics-node'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { DEFAULT_TOKEN } from '../../src/sandbox/seed.js'
import { getJson, startTestService, type TestService, WRITE_KEY } from '../server/fixture.js'
import { eventually, removeDir, tempDir } from './helpers.js'

const AUDIENCE = 'vip_members'
const CUSTOMERS = 500
const dir = tempDir('perkville-engage-')
let svc: TestService

beforeAll(async () => {
  const settings = join(dir, 'settings.json')
  writeFileSync(
    settings,
    JSON.stringify({
      apiKey: DEFAULT_TOKEN,
      businessId: 1001,
      locationId: 2001,
      eventToPerkMap: { 'Checked In': 3001 },
      audienceToPerkMap: { [` ${AUDIENCE} `]: 3003 },
    }),
  )
  svc = await startTestService({ settings, logLevel: 'warn' })
})
afterAll(async () => {
  await svc?.close()
  removeDir(dir)
})

/** The rules' audience id, computed here independently of src/core. */
function audienceExternalId(key: string, email: string): string {
  const hex = createHash('sha256').update(`${key}\n${email.toLowerCase()}`, 'utf8').digest('hex')
  return `aud-${hex.slice(0, 32)}`
}

const personas = {
  computation_class: 'audience',
  computation_key: AUDIENCE,
  computation_id: 'aud_vip',
  space_id: 'spa_1',
  namespace: 'spa_1',
}
const emailOf = (i: number) => `Member-${i}@Example.com`

/** One Engage sync of the given customers, as analytics-node sends identify calls (fresh messageIds). */
async function sync(customers: number[], member: boolean): Promise<void> {
  const analytics = new Analytics({ writeKey: WRITE_KEY, host: svc.url, flushAt: 100, flushInterval: 50 })
  const errors: unknown[] = []
  analytics.on('error', (err) => errors.push(err))
  for (const i of customers) {
    analytics.identify({
      userId: `member-${i}`,
      traits: { email: emailOf(i), [AUDIENCE]: member },
      context: { personas },
    })
  }
  await analytics.closeAndFlush({ timeout: 30_000 })
  expect(errors).toEqual([])
}

async function drained(): Promise<void> {
  await eventually(async () => ((await svc.service.health()).queueDepth === 0 ? true : undefined), 30_000)
}

const audienceTransactions = () =>
  svc.sandbox.transactions().filter((tx) => tx.trans_source_id.startsWith('aud-'))

describe('an Engage audience synced through the service with @segment/analytics-node', () => {
  test('every member is awarded once with the audience id; re-syncs, exits and re-entries add nothing', async () => {
    const all = Array.from({ length: CUSTOMERS }, (_, i) => i)
    await sync(all, true)
    await eventually(
      () => (audienceTransactions().length >= CUSTOMERS ? true : undefined),
      60_000,
      `${CUSTOMERS} audience awards`,
    )
    await drained()

    // The same sync again (Engage re-sends on a new identifier), then some leave and come back.
    await sync(all, true)
    const leaving = all.slice(0, 100)
    await sync(leaving, false)
    await sync(leaving, true)
    // An Engage-shaped track for a member says the same thing once more.
    const res = await fetch(`${svc.url}/v1/track`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`,
      },
      body: JSON.stringify({
        type: 'track',
        event: 'Audience Entered',
        userId: 'member-7',
        properties: { audience_key: AUDIENCE, [AUDIENCE]: true, email: emailOf(7) },
        context: { personas },
      }),
    })
    expect(res.status).toBe(200)
    await drained()

    const txs = audienceTransactions()
    expect(txs).toHaveLength(CUSTOMERS)
    const byId = new Map(txs.map((tx) => [tx.trans_source_id, tx]))
    for (const i of all) {
      const tx = byId.get(audienceExternalId(AUDIENCE, emailOf(i)))
      expect(tx, `customer ${i}`).toMatchObject({ perk: 3003, quantity: 1, email: emailOf(i).toLowerCase() })
    }

    // Exits are skips, shown apart from rejects; nothing was rejected.
    const dropped = await getJson(`${svc.url}/admin/dropped`)
    expect(dropped.json.skipped).toEqual({ AUDIENCE_EXITED: 100 })
    expect(dropped.json.rejected).toEqual({})
    const stats = await getJson(`${svc.url}/admin/stats`)
    expect(stats.json.skipped).toEqual({ AUDIENCE_EXITED: 100 })
    expect(stats.json.notDelivered).toEqual({})
    const metrics = await (await fetch(`${svc.url}/metrics`)).text()
    expect(metrics).toContain('perkville_events_skipped_total{code="AUDIENCE_EXITED"} 100')
  }, 120_000)
})
