/**
 * Settings that change safely, tried as an operator would, on real `serve` processes against a real
 * sandbox: shared by the SQLite (test/service) and PostgreSQL (test/postgres) runs, which differ only
 * in the store arguments they pass.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pino from 'pino'
import { afterEach, expect, it } from 'vitest'
import type { Storage } from '../../src/pipeline/storage/storage.js'
import { type RunningSandbox, startSandbox } from '../../src/sandbox/index.js'
import { openStorage } from '../../src/server/open-storage.js'
import {
  basicAuth,
  eventually,
  removeDir,
  type ServeProcess,
  spawnServe,
  startServe,
  stopServe,
  tempDir,
} from './helpers.js'

const WRITE_KEY = 'wk_live_settings_test'
const ADMIN_TOKEN = 'adm_live_settings_token_51d2'
const WRONG_LOCATION = 2999
const RIGHT_LOCATION = 2001

export interface EventView {
  id: string
  status: string
  perkId: string
  failureReason: string | null
  lastError: string | null
  decisions: Array<{
    at: string
    settingsVersion: number
    outcome: string
    transaction: { locationId: string; perkId: string } | null
  }>
}

/** One running service on its own data directory, settings file and sandbox. */
export class LiveService {
  proc!: ServeProcess
  readonly dir = tempDir('perkville-live-settings-')
  readonly settingsFile = join(this.dir, 'settings.json')
  readonly dataDir = join(this.dir, 'data')

  constructor(
    readonly sandbox: RunningSandbox,
    readonly storeArgs: string[],
  ) {
    // The child runs in its data directory.
    mkdirSync(this.dataDir)
  }

  writeSettings(locationId: number, map: Record<string, number> = { 'Checked In': 3001 }): void {
    writeFileSync(
      this.settingsFile,
      JSON.stringify({ apiKey: this.sandbox.token, businessId: 1001, locationId, eventToPerkMap: map }),
    )
  }

  args(extra: string[] = [], perkvilleUrl = this.sandbox.url): string[] {
    return [
      '--perkville-url',
      perkvilleUrl,
      '--settings',
      this.settingsFile,
      '--write-key',
      WRITE_KEY,
      '--admin-token',
      ADMIN_TOKEN,
      ...this.storeArgs,
      ...extra,
    ]
  }

  async start(extra: string[] = [], perkvilleUrl?: string): Promise<ServeProcess> {
    this.proc = await startServe({
      dataDir: this.dataDir,
      args: this.args(extra, perkvilleUrl),
      env: { PERKVILLE_LOG_LEVEL: 'info' },
    })
    return this.proc
  }

  async admin<T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
    const res = await fetch(`${this.proc.url}/admin${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await res.text()
    expect(text).not.toContain(this.sandbox.token)
    return { status: res.status, json: JSON.parse(text) as T }
  }

  async send(event: string, emails: string[]): Promise<void> {
    const res = await fetch(`${this.proc.url}/v1/batch`, {
      method: 'POST',
      headers: { authorization: basicAuth(WRITE_KEY), 'content-type': 'application/json' },
      body: JSON.stringify({
        batch: emails.map((email) => ({ type: 'track', event, userId: email, properties: { email } })),
      }),
    })
    expect(res.status).toBe(200)
  }

  async eventOf(email: string): Promise<EventView> {
    const list = await this.admin<{ events: Array<{ id: string }> }>(
      'GET',
      `/events?email=${encodeURIComponent(email)}`,
    )
    expect(list.json.events).toHaveLength(1)
    return (await this.admin<EventView>('GET', `/events/${list.json.events[0]!.id}`)).json
  }

  async statusesOf(emails: string[]): Promise<string[]> {
    return Promise.all(emails.map(async (e) => (await this.eventOf(e)).status))
  }

  /** The service's own store (SQLite in its data directory, or its PostgreSQL schema), opened beside it. */
  async openStore(): Promise<Storage> {
    const arg = (name: string) => {
      const i = this.storeArgs.indexOf(name)
      return i < 0 ? null : (this.storeArgs[i + 1] ?? null)
    }
    return openStorage(
      {
        dataDir: this.dataDir,
        databaseUrl: arg('--database-url'),
        databaseSchema: arg('--database-schema') ?? 'public',
        databasePoolSize: 2,
        databasePooling: 'session',
        databaseListenUrl: null,
      },
      pino({ enabled: false }),
    )
  }

  /** Sandbox transactions per email: what "reached Perkville" means. */
  landed(email: string) {
    return this.sandbox.transactions().filter((t) => t.email === email)
  }

  async close(): Promise<void> {
    if (this.proc) await stopServe(this.proc, 'SIGKILL')
    removeDir(this.dir)
  }
}

/** The settings in force, as GET /admin/settings answers. */
interface SettingsAnswer {
  version: number
  settings: { locationId: string; eventToPerkMap: Record<string, string> }
}

export function liveSettingsScenarios(store: () => Promise<string[]>): void {
  const open: Array<{ close(): Promise<void> }> = []
  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close()
  })

  async function service(): Promise<LiveService> {
    const sandbox = await startSandbox({ memory: true })
    open.push(sandbox)
    const live = new LiveService(sandbox, await store())
    open.push(live)
    return live
  }

  async function parkedWithWrongLocation(emails: string[]): Promise<LiveService> {
    const live = await service()
    live.writeSettings(WRONG_LOCATION)
    await live.start()
    await live.send('Checked In', emails)
    await eventually(
      async () => ((await live.statusesOf(emails)).every((s) => s === 'parked') ? true : undefined),
      15_000,
      'every event parked',
    )
    const parked = await live.eventOf(emails[0]!)
    expect(parked.failureReason).toBe('unknown_location')
    expect(parked.lastError).toContain(`location ${WRONG_LOCATION}`)
    expect(parked.lastError).toContain('Correct the settings in Settings')
    for (const e of emails) expect(live.landed(e)).toEqual([])
    return live
  }

  async function expectDeliveredOnceAtTheRightLocation(live: LiveService, emails: string[]): Promise<void> {
    await eventually(
      async () => ((await live.statusesOf(emails)).every((s) => s === 'delivered') ? true : undefined),
      20_000,
      'every event delivered',
    )
    for (const e of emails) {
      const landed = live.landed(e)
      expect(landed).toHaveLength(1)
      expect(landed[0]).toMatchObject({ location: RIGHT_LOCATION, perk: 3001 })
    }
    const record = await live.eventOf(emails[0]!)
    const decisions = record.decisions.map((d) => [d.outcome, d.transaction?.locationId])
    expect(decisions[0]).toEqual(['queue', String(WRONG_LOCATION)])
    expect(decisions.at(-1)).toEqual(['queue', String(RIGHT_LOCATION)])
    expect(record.decisions.map((d) => d.settingsVersion)).toEqual(record.decisions.map((_, i) => i + 1))
  }

  it('wrong location: events park; an invalid PUT changes nothing; PUT /admin/settings with the right one delivers each once, without restart or replay', async () => {
    const emails = ['loc-a@example.com', 'loc-b@example.com', 'loc-c@example.com']
    const live = await parkedWithWrongLocation(emails)
    const pid = live.proc.child.pid

    // The operator sees them: stats, metrics, and a warn line saying how many wait and why.
    const now = Date.now()
    const stats = await live.admin<{
      parked: number
      errors: Array<{ reason: string; lastMessage: string }>
    }>('GET', `/stats?from=${now - 600_000}&to=${now + 60_000}`)
    expect(stats.json.parked).toBe(3)
    expect(stats.json.errors).toContainEqual(
      expect.objectContaining({
        reason: 'unknown_location',
        lastMessage: expect.stringContaining('locationId'),
      }),
    )
    const metrics = await (
      await fetch(`${live.proc.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    ).text()
    expect(metrics).toMatch(/perkville_events_parked_total\{reason="unknown_location"\} 3/)
    await eventually(
      () =>
        /3 event\(s\) wait for delivery \(0 retrying, 3 parked\)/.test(live.proc.stdout()) ? true : undefined,
      10_000,
      'the warn line about waiting events',
    )

    const bad = await live.admin<{ code: string; error: string }>('PUT', '/settings', {
      businessId: 1001,
      locationId: RIGHT_LOCATION,
      eventToPerkMap: { 'Checked In': 'not-a-perk' },
    })
    expect(bad.status).toBe(400)
    expect(bad.json.error).toContain('eventToPerkMap["Checked In"]')
    const still = await live.admin<SettingsAnswer>('GET', '/settings')
    expect(still.json).toMatchObject({ version: 1, settings: { locationId: String(WRONG_LOCATION) } })
    expect(await live.statusesOf(emails)).toEqual(['parked', 'parked', 'parked'])

    const put = await live.admin<{ version: number; changed: boolean }>('PUT', '/settings', {
      businessId: 1001,
      locationId: RIGHT_LOCATION,
      eventToPerkMap: { 'Checked In': 3001 },
    })
    expect(put.json).toMatchObject({ version: 2, changed: true })
    await expectDeliveredOnceAtTheRightLocation(live, emails)
    expect(live.proc.child.pid).toBe(pid)
    await eventually(
      () => (/deliveries flow again/.test(live.proc.stdout()) ? true : undefined),
      10_000,
      'the info line that deliveries flow again',
    )
  })

  it('a PUT whose apiKey cannot be a bearer token answers 400 and stores nothing; a restart keeps the queue', async () => {
    const emails = ['brick-a@example.com', 'brick-b@example.com']
    const live = await parkedWithWrongLocation(emails)
    const secret = 'pasted with a space-3b9e'
    const bad = await live.admin<{ code: string; error: string }>('PUT', '/settings', {
      apiKey: secret,
      businessId: 1001,
      locationId: RIGHT_LOCATION,
      eventToPerkMap: { 'Checked In': 3001 },
    })
    expect(bad.status).toBe(400)
    expect(bad.json.code).toBe('INVALID_SETTINGS')
    expect(bad.json.error).toContain('apiKey has characters a bearer token cannot have')
    expect(JSON.stringify(bad.json)).not.toContain('3b9e')
    const still = await live.admin<SettingsAnswer>('GET', '/settings')
    expect(still.json).toMatchObject({ version: 1, settings: { locationId: String(WRONG_LOCATION) } })
    const history = await live.admin<{ versions: unknown[] }>('GET', '/settings/history')
    expect(history.json.versions).toHaveLength(1)

    // The same file, a kill and a start: the service starts, and its parked events are still there.
    await stopServe(live.proc, 'SIGKILL')
    await live.start()
    expect((await live.admin<SettingsAnswer>('GET', '/settings')).json.version).toBe(1)
    expect(await live.statusesOf(emails)).toEqual(['parked', 'parked'])
    await live.admin('PUT', '/settings', {
      businessId: 1001,
      locationId: RIGHT_LOCATION,
      eventToPerkMap: { 'Checked In': 3001 },
    })
    await expectDeliveredOnceAtTheRightLocation(live, emails)
    expect(live.proc.stdout() + live.proc.stderr()).not.toContain('3b9e')
  })

  it('a stored version that cannot be applied never stops a start: the newest one that applies is in force, said in the log and the API', async () => {
    const live = await service()
    live.writeSettings(RIGHT_LOCATION)
    await live.start()
    await stopServe(live.proc)
    // As an older release (or a hand edit) could have left it: version 2 with a key no request can carry.
    const store = await live.openStore()
    const brick = { apiKey: 'two words-71c4', businessId: 1001, locationId: 2002, eventToPerkMap: {} }
    await store.appendSettingsVersion({
      at: Date.now(),
      source: 'api',
      settings: JSON.stringify(brick),
      changes: '[]',
    })
    await store.close()

    // The same --settings file: it has not changed since it was read, so the newest version that
    // applies (version 1, from that file) stands in for version 2, written again as version 3.
    await live.start()
    const answer = await live.admin<
      SettingsAnswer & { source: string; problem: { versions: number[]; fallback: number; message: string } }
    >('GET', '/settings')
    expect(answer.json).toMatchObject({
      version: 3,
      source: 'file',
      settings: { locationId: String(RIGHT_LOCATION) },
      problem: { versions: [2], fallback: 1 },
    })
    expect(answer.json.problem.message).toContain('apiKey has characters a bearer token cannot have')
    expect(live.proc.stdout()).toMatch(/"level":50.*a stored version cannot be applied and is passed over/)
    await live.send('Checked In', ['after-brick@example.com'])
    await eventually(
      () => (live.landed('after-brick@example.com').length === 1 ? true : undefined),
      15_000,
      'delivery on the version that applies',
    )
    const history = await live.admin<{ versions: Array<{ version: number; changes: string[] }> }>(
      'GET',
      '/settings/history',
    )
    expect(history.json.versions[0]!.changes[0]).toContain('version 2 (admin API) could not be applied')
    expect(JSON.stringify(answer.json) + JSON.stringify(history.json)).not.toContain('71c4')

    // A changed --settings file wins over every stored version, readable or not.
    const again = await live.openStore()
    await again.appendSettingsVersion({
      at: Date.now(),
      source: 'api',
      settings: '{"apiKey":',
      changes: '[]',
    })
    await again.close()
    await stopServe(live.proc)
    live.writeSettings(RIGHT_LOCATION, { 'Checked In': 3001, 'Class Booked': 3002 })
    await live.start()
    const given = await live.admin<SettingsAnswer & { problem: { fallback: number | null } }>(
      'GET',
      '/settings',
    )
    expect(given.json).toMatchObject({
      version: 5,
      settings: { eventToPerkMap: { 'Class Booked': '3002' } },
      problem: { fallback: null },
    })
    // And a start after that, on the same file, has nothing left to pass over.
    await stopServe(live.proc)
    await live.start()
    const clean = await live.admin<{ version: number; problem?: unknown }>('GET', '/settings')
    expect(clean.json.version).toBe(5)
    expect(clean.json.problem).toBeUndefined()
    expect(live.proc.stdout() + live.proc.stderr()).not.toContain('71c4')
  }, 90_000)

  it('wrong location: editing the settings file and sending SIGHUP delivers each parked event once', async () => {
    const emails = ['hup-a@example.com', 'hup-b@example.com']
    const live = await parkedWithWrongLocation(emails)
    // A change of business moves the queued events with it (deliberate), and the history says so.
    const moved = await live.admin<{ version: number }>('PUT', '/settings', {
      businessId: 1002,
      locationId: WRONG_LOCATION,
      eventToPerkMap: { 'Checked In': 3001 },
    })
    expect(moved.json.version).toBe(2)
    const history = await live.admin<{ versions: Array<{ version: number; changes: string[] }> }>(
      'GET',
      '/settings/history',
    )
    expect(history.json.versions[0]!.changes).toContain(
      '2 undelivered event(s) move from business 1001 to business 1002, each decided again under this version',
    )
    // Decided again under version 2, they park once more: Perkville knows no business 1002.
    await eventually(
      async () => {
        const e = await live.eventOf(emails[0]!)
        return e.failureReason === 'unknown_business' && e.status === 'parked' ? true : undefined
      },
      15_000,
      'the events parked under version 2',
    )
    live.writeSettings(RIGHT_LOCATION)
    live.proc.child.kill('SIGHUP')
    await expectDeliveredOnceAtTheRightLocation(live, emails)
  })

  it('an event delivered under version 1 is not sent again when version 2 changes the map; an undelivered one is decided again', async () => {
    const live = await service()
    live.writeSettings(RIGHT_LOCATION)
    await live.start()
    await live.send('Checked In', ['early@example.com'])
    await eventually(
      () => (live.landed('early@example.com').length === 1 ? true : undefined),
      15_000,
      'delivery',
    )
    // Perkville is down: the next event waits, retrying.
    live.sandbox.setFaults({ outage: true, scope: 'writes' })
    await live.send('Checked In', ['late@example.com'])
    await eventually(
      async () => ((await live.eventOf('late@example.com')).status === 'retrying' ? true : undefined),
      15_000,
      'a retrying event',
    )
    const put = await live.admin<{ version: number }>('PUT', '/settings', {
      businessId: 1001,
      locationId: RIGHT_LOCATION,
      eventToPerkMap: { 'Checked In': 3003 },
    })
    expect(put.json.version).toBe(2)
    live.sandbox.setFaults({})
    await eventually(
      async () => ((await live.eventOf('late@example.com')).status === 'delivered' ? true : undefined),
      30_000,
      'the late event delivered',
    )
    expect(live.landed('late@example.com')).toEqual([expect.objectContaining({ perk: 3003 })])
    const late = await live.eventOf('late@example.com')
    expect(late.perkId).toBe('3003')
    expect(late.decisions.map((d) => [d.settingsVersion, d.transaction?.perkId])).toEqual([
      [1, '3001'],
      [2, '3003'],
    ])
    // The early one stays as it was: one transaction, perk 3001, one decision.
    await new Promise((r) => setTimeout(r, 500))
    expect(live.landed('early@example.com')).toEqual([expect.objectContaining({ perk: 3001 })])
    expect((await live.eventOf('early@example.com')).decisions).toHaveLength(1)
  })

  it('a retry of a permanently failed event uses the settings now in force', async () => {
    const live = await service()
    live.writeSettings(RIGHT_LOCATION)
    await live.start(['--retry-for', '1s'])
    live.sandbox.setFaults({ outage: true, scope: 'writes' })
    await live.send('Checked In', ['expired@example.com'])
    const failed = await eventually(
      async () => {
        const e = await live.eventOf('expired@example.com')
        return e.status === 'failed' ? e : undefined
      },
      20_000,
      'an expired event',
    )
    expect(failed.failureReason).toBe('expired')
    await live.admin('PUT', '/settings', {
      businessId: 1001,
      locationId: RIGHT_LOCATION,
      eventToPerkMap: { 'Checked In': 3003 },
    })
    live.sandbox.setFaults({})
    const retried = await live.admin<{ retried: boolean }>('POST', `/events/${failed.id}/retry`)
    expect(retried.json.retried).toBe(true)
    await eventually(
      () => (live.landed('expired@example.com').length > 0 ? true : undefined),
      15_000,
      'delivery',
    )
    expect(live.landed('expired@example.com')).toEqual([expect.objectContaining({ perk: 3003 })])
  })

  it('a start for another destination on a queue with undelivered events refuses (exit 2) unless told to move them', async () => {
    const live = await parkedWithWrongLocation(['moving@example.com'])
    await stopServe(live.proc)
    // Another Perkville (a second sandbox) with the same settings: the queued event is not its to take.
    const other = await startSandbox({ memory: true, token: live.sandbox.token })
    open.push(other)
    live.writeSettings(RIGHT_LOCATION)
    const refused = spawnServe({ dataDir: live.dataDir, args: live.args([], other.url) })
    expect((await refused.exited).code).toBe(2)
    expect(refused.stderr()).toMatch(
      /holds 1 undelivered event\(s\) for Perkville http:\/\/127\.0\.0\.1:\d+\/v2\/, business 1001/,
    )
    expect(refused.stderr()).toContain('--move-queued-events')
    expect(refused.stderr()).not.toContain(live.sandbox.token)

    await live.start(['--move-queued-events'], other.url)
    await eventually(
      () => (other.transactions().length === 1 ? true : undefined),
      15_000,
      'delivery to the new one',
    )
    expect(other.transactions()[0]).toMatchObject({ email: 'moving@example.com', location: RIGHT_LOCATION })
    expect(live.landed('moving@example.com')).toEqual([])
  })
}
