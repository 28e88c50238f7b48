/**
 * The console's alert parts in the system Chromium against a real `serve` process (dist/, with the
 * built console): the Alerts view lists what fired, Settings shows where alerts go and sends a test.
 */
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { launchChromium } from '../browser/harness.js'
import {
  basicAuth,
  eventually,
  removeDir,
  type ServeProcess,
  startServe,
  stopServe,
} from '../service/helpers.js'
import { startWebhookReceiver } from './receivers.js'

const WRITE_KEY = 'wk_alerts_console_test'
const ADMIN_TOKEN = 'adm_alerts_console_token_3f9c'
let hook: Awaited<ReturnType<typeof startWebhookReceiver>>
let proc: ServeProcess
let browser: Browser

beforeAll(async () => {
  hook = await startWebhookReceiver()
  proc = await startServe({
    args: [
      ...['--write-key', WRITE_KEY, '--admin-token', ADMIN_TOKEN],
      ...['--alert-webhook', `${hook.url}/services/T9/B9/consoleSecretPath`],
      ...['--alert-interval', '200ms', '--alert-refusal-surge', '2'],
    ],
  })
  browser = await launchChromium()
}, 60_000)
afterAll(async () => {
  await browser?.close()
  if (proc) await stopServe(proc, 'SIGKILL')
  if (proc) removeDir(proc.dataDir)
  await hook?.close()
}, 60_000)

test('the Alerts view lists what fired; Settings shows the destination redacted and sends a test alert', async () => {
  const batch = ['a', 'b'].map((u) => ({
    type: 'track',
    event: 'Not In The Map',
    userId: u,
    properties: { email: `${u}@example.com` },
  }))
  const res = await fetch(`${proc.url}/v1/batch`, {
    method: 'POST',
    headers: { authorization: basicAuth(WRITE_KEY), 'content-type': 'application/json' },
    body: JSON.stringify({ batch }),
  })
  expect(res.status).toBe(200)
  await eventually(() => hook.received.find((r) => r.body.alert === 'refusal_surge'))

  const page = await browser.newPage()
  await page.goto(`${proc.url}/`)
  await page.getByLabel('Admin token').fill(ADMIN_TOKEN)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Alerts' }).click()
  const row = page.locator('tr[data-alert="refusal_surge:EVENT_NOT_ALLOWLISTED"]')
  await row.waitFor()
  expect(await row.getAttribute('data-state')).toBe('firing')
  expect(await row.textContent()).toContain('EVENT_NOT_ALLOWLISTED')

  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Settings' }).click()
  const section = page.locator('.alert-destinations')
  await section.getByText(`webhook ${hook.url}/services/…`).waitFor()
  expect(await page.content()).not.toContain('consoleSecretPath')
  expect(await section.locator('[data-threshold="remindAfterMs"]').textContent()).toBe('remindAfterMs: 4.0 h')
  await section.getByRole('button', { name: 'Send a test alert' }).click()
  await section.locator('li.ok').waitFor()
  expect(hook.received.filter((r) => r.body.alert === 'test')).toHaveLength(1)
  await page.close()
})
