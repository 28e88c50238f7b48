import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type RunningSandbox, startSandbox } from '../../src/sandbox/index.js'
import {
  basicAuth,
  eventually,
  removeDir,
  type ServeProcess,
  startServe,
  stopServe,
  tempDir,
} from '../service/helpers.js'
import { type Received, startSmtpReceiver, startWebhookReceiver } from './receivers.js'

const WRITE_KEY = 'wk_alerts_service_test'
const ADMIN_TOKEN = 'adm_alerts_service_token_5d2a'
const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` }
/** The webhook's secret part, as in Slack's `/services/T…/B…/<secret>`. */
const HOOK_PATH = '/services/T0001/B0002/s3cr3tHookPathXYZ'
const OPS_EMAIL = 'ops-oncall@example.com'
const CUSTOMER = 'alert.customer@example.com'

let sandbox: RunningSandbox
let hook: Awaited<ReturnType<typeof startWebhookReceiver>>
let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>
let proc: ServeProcess
const dir = tempDir('perkville-alerts-')

beforeAll(async () => {
  sandbox = await startSandbox({ memory: true })
  hook = await startWebhookReceiver()
  smtp = await startSmtpReceiver()
  const settingsFile = join(dir, 'settings.json')
  writeFileSync(
    settingsFile,
    JSON.stringify({
      apiKey: sandbox.token,
      businessId: 1001,
      locationId: 2001,
      eventToPerkMap: { 'Checked In': 3001 },
    }),
  )
  mkdirSync(join(dir, 'data'))
  proc = await startServe({
    dataDir: join(dir, 'data'),
    args: [
      ...['--perkville-url', sandbox.url, '--settings', settingsFile],
      ...['--write-key', WRITE_KEY, '--admin-token', ADMIN_TOKEN],
      ...['--alert-webhook', `${hook.url}${HOOK_PATH}`, '--alert-email', OPS_EMAIL, '--smtp-url', smtp.url],
      ...['--alert-interval', '200ms', '--credentials-probe', '300ms'],
    ],
    env: { PERKVILLE_LOG_LEVEL: 'info' },
  })
})
afterAll(async () => {
  if (proc) await stopServe(proc, 'SIGKILL')
  await sandbox?.close()
  await hook?.close()
  await smtp?.close()
  removeDir(dir)
})

async function admin<T = Record<string, unknown>>(method: string, path: string, body?: unknown) {
  const res = await fetch(`${proc.url}/admin${path}`, {
    method,
    headers: { ...ADMIN, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return { status: res.status, text: await res.clone().text(), json: (await res.json()) as T }
}

async function checkIn(email: string, event = 'Checked In'): Promise<void> {
  const res = await fetch(`${proc.url}/v1/track`, {
    method: 'POST',
    headers: { authorization: basicAuth(WRITE_KEY), 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'track', event, userId: email, properties: { email } }),
  })
  expect(res.status).toBe(200)
}

/** A PUT of the whole settings, as the console's Settings form sends them. */
const putSettings = (change: Record<string, unknown>) =>
  admin('PUT', '/settings', {
    businessId: 1001,
    locationId: 2001,
    eventToPerkMap: { 'Checked In': 3001 },
    ...change,
  })

const messages = (alert: string) => hook.received.filter((r) => r.body.alert === alert).map((r) => r.body)

/** Waits for the webhook message of this alert in this state (the nth, counting from 1). */
const messageOf = (alert: string, state: 'firing' | 'resolved', nth = 1) =>
  eventually(
    () => hook.received.filter((r) => r.body.alert === alert && r.body.state === state)[nth - 1]?.body,
    20_000,
    `${alert} ${state} message`,
  )

interface AlertsAnswer {
  destinations: string[]
  alerts: Array<{
    key: string
    state: string
    firedAt: string
    lastSeenAt: string
    resolvedAt: string | null
  }>
}

/** Waits until the monitor has looked `looks` more times while the alert stayed open (its lastSeenAt moved on). */
async function looksWhileOpen(key: string, looks: number): Promise<void> {
  const first = await eventually(async () => {
    const a = (await admin<AlertsAnswer>('GET', '/alerts')).json.alerts.find(
      (x) => x.key === key && x.state === 'firing',
    )
    return a ? Date.parse(a.lastSeenAt) : undefined
  })
  await eventually(async () => {
    const a = (await admin<AlertsAnswer>('GET', '/alerts')).json.alerts.find(
      (x) => x.key === key && x.state === 'firing',
    )
    return a && Date.parse(a.lastSeenAt) >= first + looks * 200 ? true : undefined
  })
}

function expectNoSecrets(received: Received[]): void {
  const text = JSON.stringify(received.map((r) => r.body))
  expect(text).not.toContain(sandbox.token)
  expect(text).not.toContain('wrong-key-')
  expect(text).not.toContain(CUSTOMER)
  expect(text).not.toContain(OPS_EMAIL)
  expect(text).not.toContain('s3cr3tHookPathXYZ')
}

describe('alerts from a running service', () => {
  test('the settings show where alerts go without the webhook secret; a test alert reaches the webhook and the mail server', async () => {
    const answer = await admin<AlertsAnswer>('GET', '/alerts')
    expect(answer.status).toBe(200)
    expect(answer.text).not.toContain('s3cr3tHookPathXYZ')
    expect(answer.json.destinations).toEqual([
      `webhook ${hook.url}/services/…`,
      `email to 1 recipient via smtp://${smtp.url.slice('smtp://'.length)}`,
    ])
    const test = await admin<{ results: Array<{ ok: boolean }> }>('POST', '/alerts/test')
    expect(test.json.results.map((r) => r.ok)).toEqual([true, true])
    expect(messages('test')).toHaveLength(1)
    expect(hook.received[0]!.path).toBe(HOOK_PATH)
    await eventually(() => (smtp.mails.length > 0 ? true : undefined))
    expect(smtp.mails[0]!.to).toEqual([OPS_EMAIL])
    expect(smtp.mails[0]!.data).toContain('TEST alert')
  })

  test('credentials rejected → one alert → fixed → one resolved notice, by webhook and by email', async () => {
    const put = await putSettings({ apiKey: 'wrong-key-for-alerts' })
    expect(put.status, put.text).toBe(200)
    await checkIn(CUSTOMER)
    const firing = await messageOf('credentials_rejected', 'firing')
    expect(firing).toMatchObject({ state: 'firing', reason: 'credentials rejected' })
    expect(firing.consoleUrl).toBe(`${proc.url}/#/settings`)
    expect(String(firing.text)).toMatch(/^FIRING credentials_rejected .*since .*what to do: .*Console: http/)
    await looksWhileOpen('credentials_rejected', 5)
    expect(messages('credentials_rejected')).toHaveLength(1)

    expect((await putSettings({ apiKey: sandbox.token })).status).toBe(200)
    const resolved = await messageOf('credentials_rejected', 'resolved')
    expect(resolved).toMatchObject({ state: 'resolved', since: firing.since })
    await eventually(() => sandbox.transactions().find((t) => t.email === CUSTOMER))
    await eventually(() =>
      smtp.mails.some((m) => m.data.includes('RESOLVED credentials_rejected')) ? true : undefined,
    )
    expect(
      smtp.mails.filter((m) =>
        m.data.includes('Subject: [perkville-destination] FIRING credentials_rejected'),
      ),
    ).toHaveLength(1)
    expect(messages('credentials_rejected').map((m) => m.state)).toEqual(['firing', 'resolved'])
    expectNoSecrets(hook.received)
    for (const mail of smtp.mails) expect(mail.data).not.toContain(sandbox.token)
  })

  test('a wrong location parks events: one parked alert that sends nothing more while it continues, then resolved', async () => {
    expect((await putSettings({ locationId: 9999 })).status).toBe(200)
    await checkIn('parked.one@example.com')
    await checkIn('parked.two@example.com')
    const firing = await messageOf('events_parked', 'firing')
    expect(firing).toMatchObject({
      reason: 'unknown_location',
      consoleUrl: `${proc.url}/#/events?status=parked`,
    })
    await looksWhileOpen('events_parked:unknown_location', 5)
    expect(messages('events_parked')).toHaveLength(1)

    expect((await putSettings({ locationId: 2001 })).status).toBe(200)
    await messageOf('events_parked', 'resolved')
    expect(messages('events_parked').map((m) => m.state)).toEqual(['firing', 'resolved'])
    await eventually(() => sandbox.transactions().find((t) => t.email === 'parked.two@example.com'))
    const list = await admin<AlertsAnswer>('GET', '/alerts')
    const parked = list.json.alerts.find((a) => a.key === 'events_parked:unknown_location')!
    expect(parked.state).toBe('resolved')
    expect(Date.parse(parked.resolvedAt!)).toBeGreaterThanOrEqual(Date.parse(parked.firedAt))
    // The settings check failed after each bad change and passed after each fix: told each time, once.
    await eventually(() => (messages('settings_check_failed').length === 4 ? true : undefined))
    expect(messages('settings_check_failed').map((m) => [m.state, m.reason])).toEqual([
      ['firing', expect.stringContaining('token')],
      ['resolved', expect.stringContaining('token')],
      ['firing', 'location 9999'],
      ['resolved', 'location 9999'],
    ])
    expectNoSecrets(hook.received)
    // The log names the webhook only by its redacted label.
    expect(proc.stdout()).not.toContain('s3cr3tHookPathXYZ')
  })
})
