import { request } from 'node:https'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningSandbox, startSandbox } from '../../src/sandbox/index.js'
import { fillTemplate, launchChromium, watchPage } from '../browser/harness.js'
import { pageTemplate } from '../browser/scenario.js'
import {
  eventually,
  removeDir,
  type ServeProcess,
  startServe,
  stopServe,
  tempDir,
  writeSandboxSettings,
} from '../service/helpers.js'
import { type Nginx, startNginx } from './nginx.js'

/**
 * The service behind Debian's nginx terminating TLS (a self-signed certificate), with no
 * --public-url: `trusted` believes nginx's X-Forwarded-* (loopback, the default), `untrusted` was
 * started with --trust-proxy none. Chromium signs in to the console and runs analytics.js through it.
 */
const WRITE_KEY = 'tls-proxy-write-key'
const ADMIN_TOKEN = 'tls-proxy-admin-token'
let sandbox: RunningSandbox
let trusted: ServeProcess
let untrusted: ServeProcess
let nginx: Nginx
let browser: Browser
let settingsDir: string

beforeAll(async () => {
  sandbox = await startSandbox({ memory: true })
  settingsDir = tempDir('tls-proxy-')
  const args = [
    '--perkville-url',
    sandbox.url,
    '--settings',
    writeSandboxSettings(settingsDir, sandbox.token, { 'Checked In': 3001, 'Order Completed': 3002 }),
    '--write-key',
    WRITE_KEY,
    '--admin-token',
    ADMIN_TOKEN,
  ]
  const env = { PERKVILLE_LOG_LEVEL: 'debug' }
  ;[trusted, untrusted] = await Promise.all([
    startServe({ args, env }),
    startServe({ args: [...args, '--trust-proxy', 'none'], env }),
  ])
  const shop = (site: string) =>
    fillTemplate(pageTemplate('analytics-js.html'), {
      SERVICE_URL: site,
      WRITE_KEY,
      LOAD_OPTIONS: '{}',
      USER_ID: 'proxy-user',
      EMAIL: 'proxied@example.com',
      ORDER_ID: 'PROXY-1',
    })
  nginx = await startNginx([trusted.url, untrusted.url], (sites) => ({ 'shop.html': shop(sites[0]!) }))
  browser = await launchChromium()
}, 60_000)
afterAll(async () => {
  await browser?.close()
  await nginx?.stop()
  for (const proc of [trusted, untrusted]) if (proc) await stopServe(proc)
  await sandbox?.close()
  removeDir(settingsDir)
})

async function signIn(siteUrl: string) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true })
  const page = await context.newPage()
  await page.goto(`${siteUrl}/`)
  await page.getByLabel('Admin token').fill(ADMIN_TOKEN)
  await page.getByRole('button', { name: 'Sign in' }).click()
  return { context, page }
}

/** GET through nginx (its certificate is self-signed) with a client address already forwarded. */
function getThrough(url: string, forwardedFor: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { rejectUnauthorized: false, headers: { 'x-forwarded-for': forwardedFor } },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      },
    )
    req.on('error', reject)
    req.end()
  })
}

describe('behind a TLS proxy (nginx) without --public-url', { timeout: 60_000 }, () => {
  it('a trusted proxy: the console signs in, analytics.js is given https URLs and its events land', async () => {
    const site = nginx.sites[0]!.url
    const { context, page } = await signIn(site)
    await page.getByRole('heading', { name: 'Overview' }).waitFor()

    // The shop page is served by nginx itself, on the same https origin, with the snippet pointing there.
    const shop = await context.newPage()
    const watch = await watchPage(shop)
    await shop.goto(`${site}/static/shop.html`)
    await eventually(
      () =>
        sandbox.transactions().filter((t) => t.email === 'proxied@example.com').length >= 2
          ? true
          : undefined,
      20_000,
      'the page’s two awards in the sandbox',
    )
    const settings = watch.responses.find((r) => r.url.includes(`/v1/projects/${WRITE_KEY}/settings`))
    expect(settings).toBeDefined()
    const served = await (await context.request.get(`${site}/v1/projects/${WRITE_KEY}/settings`)).json()
    expect(JSON.stringify(served)).toContain(`"apiHost":"${new URL(site).host}/v1"`)
    expect(JSON.stringify(served)).toContain('"protocol":"https"')
    // Everything the page sent went to the proxy's https origin, nothing to the service's own port.
    const calls = watch.requests.filter((r) => /^https?:/.test(r.url))
    expect(calls.length).toBeGreaterThan(3)
    for (const call of calls) expect(new URL(call.url).origin).toBe(site)
    expect(watch.failures).toEqual([])
    await context.close()

    // The request log names the client nginx forwarded, not nginx.
    expect(await getThrough(`${site}/healthz`, '203.0.113.7')).toBe(200)
    await eventually(
      () =>
        /"client":"203\.0\.113\.7"[^\n]*"answered"|"answered"[^\n]*"client":"203\.0\.113\.7"/.test(
          trusted.stdout(),
        )
          ? true
          : undefined,
      5_000,
      'the request log line with the client address',
    )
    expect(trusted.stdout()).toContain('Public URL   as each request says (X-Forwarded-* from loopback')
    expect(trusted.stdout()).not.toContain('not trusted')
  })

  it('an untrusted proxy: the sign-in is refused with the options to set, and a warn line says the same', async () => {
    const site = nginx.sites[1]!.url
    const { context, page } = await signIn(site)
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toMatch(/another origin.*--trust-proxy 127\.0\.0\.1.*--public-url/)
    await context.close()
    const warn = untrusted
      .stdout()
      .split('\n')
      .find((line) => line.includes('which is not trusted'))
    expect(warn).toBeDefined()
    expect(JSON.parse(warn!)).toMatchObject({ level: 40 })
    expect(warn).toContain('--trust-proxy 127.0.0.1')
    expect(untrusted.stdout()).toContain('Public URL   as each request says (no proxy')
  })
})
