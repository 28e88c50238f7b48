/**
 * Real-browser harness: the system Chromium through playwright-core, with every host but 127.0.0.1
 * unreachable (no request interception: the service's own CORS answers must reach the browser), a
 * static page server on loopback, and a record of every request the page makes.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type Browser, chromium, type Page } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // No name resolves but loopback's, and anything not bypassed goes to a proxy that refuses
      // (Chromium always bypasses proxies for loopback): nothing outside this machine can answer.
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      '--proxy-server=http://127.0.0.1:9',
    ],
  })
}

export interface SeenRequest {
  method: string
  url: string
  type: string
  body: string | null
}

export interface SeenResponse {
  method: string
  url: string
  status: number
  body: string | null
}

/** Everything a page asked for and got, for assertions. */
export interface PageWatch {
  requests: SeenRequest[]
  responses: SeenResponse[]
  failures: Array<{ url: string; error: string }>
  errors: string[]
  /** Every request body as Chromium sent it (beacons included), by URL. */
  sentBodies: Array<{ url: string; body: string }>
  /** Requests to anything but 127.0.0.1 (data:, blob: and about: are not network requests). */
  outside(): SeenRequest[]
}

export async function watchPage(page: Page): Promise<PageWatch> {
  const watch: PageWatch = {
    requests: [],
    responses: [],
    failures: [],
    errors: [],
    sentBodies: [],
    outside: () =>
      watch.requests.filter((r) => /^(https?|wss?):/.test(r.url) && new URL(r.url).hostname !== '127.0.0.1'),
  }
  page.on('request', (request) => {
    watch.requests.push({
      method: request.method(),
      url: request.url(),
      type: request.resourceType(),
      body: request.postData(),
    })
  })
  page.on('response', (response) => {
    const request = response.request()
    watch.responses.push({
      method: request.method(),
      url: response.url(),
      status: response.status(),
      body: request.postData(),
    })
  })
  page.on('requestfailed', (request) => {
    watch.failures.push({ url: request.url(), error: request.failure()?.errorText ?? 'unknown' })
  })
  // Playwright does not report the body of a sendBeacon ('ping'); Chromium's own network events do.
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Network.enable')
  cdp.on('Network.requestWillBeSent', ({ request, requestId }) => {
    if (!request.hasPostData) return
    const record = (body: string) => watch.sentBodies.push({ url: request.url, body })
    const parts = request.postDataEntries?.map((entry) => Buffer.from(entry.bytes ?? '', 'base64'))
    if (parts && parts.length > 0) record(Buffer.concat(parts).toString('utf8'))
    else
      cdp.send('Network.getRequestPostData', { requestId }).then(
        (answer) => record(answer.postData),
        (err: Error) => record(`(body not available: ${err.message})`),
      )
  })
  page.on('pageerror', (error) => watch.errors.push(error.message))
  page.on('console', (message) => {
    if (message.type() === 'error') watch.errors.push(`${message.text()} (${message.location().url})`)
  })
  return watch
}

export interface StaticSite {
  url: string
  close(): Promise<void>
}

/** Serves fixed files on 127.0.0.1 (another port than the service, so every call is cross-origin). */
export async function serveStatic(files: Record<string, { type: string; body: string | Buffer }>) {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/'
    // Browsers ask every site for one; an empty answer keeps the page's console free of 404s.
    if (path === '/favicon.ico') {
      response.writeHead(204).end()
      return
    }
    const file = files[path]
    if (file === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
      return
    }
    response.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(file.body)
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const { port } = server.address() as AddressInfo
  const site: StaticSite = {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections()
        server.close(() => done())
      }),
  }
  return site
}

/** Replaces each `{{NAME}}` in a page template; a placeholder left over is a broken test. */
export function fillTemplate(template: string, values: Record<string, string>): string {
  const filled = template.replace(/\{\{([A-Z_]+)\}\}/g, (whole, name: string) => values[name] ?? whole)
  const left = /\{\{[A-Z_]+\}\}/.exec(filled)
  if (left) throw new Error(`page template placeholder ${left[0]} has no value`)
  return filled
}
