import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type RunningSandbox, startSandbox } from '../../src/sandbox/index.js'
import { runCli } from '../sandbox/child.js'
import {
  basicAuth,
  eventually,
  removeDir,
  restartServe,
  type ServeProcess,
  startServe,
  stopServe,
  tempDir,
} from './helpers.js'

const WRITE_KEY = 'wk_settings_api_test'
const ADMIN_TOKEN = 'adm_settings_api_token_7c1e'
const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` }
let sandbox: RunningSandbox
let proc: ServeProcess
const dir = tempDir('perkville-settings-api-')
const settingsFile = join(dir, 'settings.json')

function writeSettings(map: Record<string, number>, extra: Record<string, unknown> = {}): void {
  writeFileSync(
    settingsFile,
    JSON.stringify({
      apiKey: sandbox.token,
      businessId: 1001,
      locationId: 2001,
      eventToPerkMap: map,
      ...extra,
    }),
  )
}

beforeAll(async () => {
  sandbox = await startSandbox({ memory: true })
  writeSettings({ 'Checked In': 3001 })
  mkdirSync(join(dir, 'data'))
  proc = await startServe({
    dataDir: join(dir, 'data'),
    args: [
      '--perkville-url',
      sandbox.url,
      '--settings',
      settingsFile,
      '--write-key',
      WRITE_KEY,
      '--admin-token',
      ADMIN_TOKEN,
    ],
    env: { PERKVILLE_LOG_LEVEL: 'info' },
  })
})
afterAll(async () => {
  if (proc) await stopServe(proc, 'SIGKILL')
  await sandbox?.close()
  removeDir(dir)
})

/** The fields of the admin settings answers these tests read. */
interface AdminAnswer {
  version: number
  source: string
  changed?: boolean
  code?: string
  error?: string
  settings: { apiKey: string; locationId: string }
  check?: { state: string; items: Array<{ item: string; ok: boolean; message: string; action?: string }> }
  versions: Array<{ version: number; source: string; changes: string[] }>
}

async function admin(method: string, path: string, body?: unknown) {
  const res = await fetch(`${proc.url}/admin${path}`, {
    method,
    headers: { ...ADMIN, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  expect(text).not.toContain(sandbox.token)
  return { status: res.status, json: JSON.parse(text) as AdminAnswer }
}

async function checkIn(email: string): Promise<void> {
  const res = await fetch(`${proc.url}/v1/track`, {
    method: 'POST',
    headers: { authorization: basicAuth(WRITE_KEY), 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'track', event: 'Checked In', userId: email, properties: { email } }),
  })
  expect(res.status).toBe(200)
}

const perkOf = (email: string) =>
  eventually(
    () => sandbox.transactions().find((t) => t.email === email)?.perk,
    15_000,
    `an award for ${email}`,
  )

describe('settings are data with versions', () => {
  test('GET shows the version in force with the key redacted; an invalid PUT changes nothing and names every problem', async () => {
    const now = await admin('GET', '/settings')
    expect(now.status).toBe(200)
    expect(now.json).toMatchObject({ version: 1, source: 'file', settings: { locationId: '2001' } })
    expect(now.json.settings.apiKey).not.toBe(sandbox.token)

    const bad = await admin('PUT', '/settings', { eventToPerkMap: { 'Checked In': 'abc' }, locationId: 'x' })
    expect(bad.status).toBe(400)
    expect(bad.json.code).toBe('INVALID_SETTINGS')
    expect(bad.json.error).toContain('eventToPerkMap["Checked In"]')
    expect(bad.json.error).toContain('locationId')
    expect((await admin('GET', '/settings')).json.version).toBe(1)
  })

  test('a PUT without apiKey keeps the key, applies at once and appears in the history without secrets', async () => {
    const put = await admin('PUT', '/settings', {
      businessId: 1001,
      locationId: 2001,
      eventToPerkMap: { 'Checked In': 3003 },
    })
    expect(put.status).toBe(200)
    expect(put.json).toMatchObject({ version: 2, changed: true, source: 'api' })
    await checkIn('after-put@example.com')
    expect(await perkOf('after-put@example.com')).toBe(3003)

    const same = await admin('PUT', '/settings', {
      businessId: 1001,
      locationId: 2001,
      eventToPerkMap: { 'Checked In': 3003 },
    })
    expect(same.json).toMatchObject({ version: 2, changed: false })

    const history = await admin('GET', '/settings/history')
    expect(history.json.versions).toEqual([
      expect.objectContaining({
        version: 2,
        source: 'api',
        changes: ['eventToPerkMap["Checked In"] 3001 → 3003'],
      }),
      expect.objectContaining({ version: 1, source: 'file', changes: ['first version'] }),
    ])
  })

  test('a restart with the same file keeps the API version; SIGHUP applies an edited file; a broken one changes nothing', async () => {
    proc = await restartServe(proc)
    expect((await admin('GET', '/settings')).json).toMatchObject({ version: 2, source: 'api' })

    writeSettings({ 'Checked In': 3002 })
    proc.child.kill('SIGHUP')
    await eventually(async () => ((await admin('GET', '/settings')).json.version === 3 ? true : undefined))
    expect((await admin('GET', '/settings')).json).toMatchObject({ source: 'file' })
    await checkIn('after-hup@example.com')
    expect(await perkOf('after-hup@example.com')).toBe(3002)

    writeFileSync(settingsFile, `{"apiKey": "${sandbox.token}", "eventToPerkMap": {`)
    proc.child.kill('SIGHUP')
    await eventually(() => (proc.stdout().includes('the settings file was not applied') ? true : undefined))
    expect((await admin('GET', '/settings')).json.version).toBe(3)
    // Where the file is broken, never what it holds.
    expect(proc.stdout() + proc.stderr()).not.toContain(sandbox.token)
  })

  test('a restart with a changed file: the file wins', async () => {
    writeSettings({ 'Checked In': 3001, 'Class Booked': 3003 })
    proc = await restartServe(proc)
    const now = await admin('GET', '/settings')
    expect(now.json).toMatchObject({ version: 4, source: 'file' })
    const history = await admin('GET', '/settings/history?limit=1')
    expect(history.json.versions[0]?.changes).toEqual([
      'eventToPerkMap["Checked In"] 3002 → 3001',
      'eventToPerkMap["Class Booked"] → 3003 added',
    ])
  })

  test('the check runs by itself: at start, and after each change (shown in the admin API; the open /healthz says only unhealthy)', async () => {
    const health = async () =>
      (await (await fetch(`${proc.url}/admin/health`, { headers: ADMIN })).json()) as {
        settings: { state: string; failed: string[] }
      }
    const open = async () => (await fetch(`${proc.url}/healthz`)).json()
    expect(await eventually(async () => ((await health()).settings.state === 'ok' ? true : undefined))).toBe(
      true,
    )

    const wrong = await admin('PUT', '/settings', {
      businessId: 1001,
      locationId: 2999,
      eventToPerkMap: { 'Checked In': 3001 },
    })
    expect(wrong.status).toBe(200)
    expect(wrong.json.check?.state).toBe('problem')
    const location = wrong.json.check?.items.find((i) => i.item === 'location 2999')
    expect(location).toMatchObject({ ok: false })
    expect(location?.action).toContain('locationId')
    expect((await health()).settings).toEqual(
      expect.objectContaining({ state: 'problem', failed: ['location 2999'] }),
    )
    // Issue 22 item 9: the open /healthz listed every failed item (789 KB with a large map).
    expect(await open()).toEqual({ status: 'ok', healthy: false, shuttingDown: false })

    const fixed = await admin('PUT', '/settings', {
      businessId: 1001,
      locationId: 2001,
      eventToPerkMap: { 'Checked In': 3001 },
    })
    expect(fixed.json.check?.state).toBe('ok')
    expect(await open()).toEqual({ status: 'ok', healthy: true, shuttingDown: false })
    const now = await fetch(`${proc.url}/admin/settings/check`, { method: 'POST', headers: ADMIN })
    expect(((await now.json()) as { state: string }).state).toBe('ok')
    expect(proc.stdout()).toContain('settings check: the settings have problems')
  })

  test('the settings check shows the last live contract check kept in the data dir by check --write-probe', async () => {
    const read = async () =>
      (await (
        await fetch(`${proc.url}/admin/settings/check`, { method: 'POST', headers: ADMIN })
      ).json()) as {
        contract: { ok: boolean; assumptions: Array<{ item: string; ok: boolean }> } | null
      }
    expect((await read()).contract).toBeNull()
    const run = await runCli([
      'check',
      '--settings',
      settingsFile,
      '--perkville-url',
      sandbox.url,
      '--write-probe',
      '--perk',
      '3001',
      '--business-is-test',
      '--data-dir',
      join(dir, 'data'),
    ])
    expect(run.code).toBe(0)
    const shown = await read()
    expect(shown.contract).toMatchObject({ ok: true })
    expect(shown.contract?.assumptions.map((a) => a.ok)).toEqual([true, true])
  })
})
