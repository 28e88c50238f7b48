/**
 * One customer's visit, the same for every browser SDK: the page identifies the customer and tracks
 * a check-in, an order and an event the map does not award. Exactly two awards must reach the
 * sandbox, once each, and the identify must be accepted.
 */
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, expect } from 'vitest'
import type { TransactionResource } from '../../src/perkville/wire.js'
import { startTestService, type TestService, WRITE_KEY } from '../server/fixture.js'
import { eventually } from '../service/helpers.js'
import { fillTemplate, launchChromium, type PageWatch, serveStatic, watchPage } from './harness.js'

export interface Visit {
  email: string
  watch: PageWatch
  awards: TransactionResource[]
}

let visits = 0

/** A service (in-process, against its own sandbox) and a Chromium for the tests of one file. */
export function serviceAndBrowser(): { svc: TestService; browser: Browser } {
  const fixture = {} as { svc: TestService; browser: Browser }
  beforeAll(async () => {
    fixture.svc = await startTestService()
    fixture.browser = await launchChromium()
  })
  afterAll(async () => {
    await fixture.browser?.close()
    await fixture.svc?.close()
  })
  return fixture
}

export function pageTemplate(name: string): string {
  return readFileSync(new URL(`./pages/${name}`, import.meta.url), 'utf8')
}

export interface VisitOptions {
  /** Given to the page as {{LOAD_OPTIONS}}. */
  loadOptions?: object
  /** More files the page's own host serves (an SDK build). */
  files?: Record<string, { type: string; body: string | Buffer }>
  /** How many awards the page earns; 2 for the pages in pages/. */
  awards?: number
}

/** Opens the page (template filled in) in a fresh context and waits for its awards. */
export async function visit(
  fixture: { svc: TestService; browser: Browser },
  template: string,
  options: VisitOptions = {},
): Promise<Visit> {
  const { svc, browser } = fixture
  const expected = options.awards ?? 2
  visits++
  const tag = `${process.pid}-${Date.now()}-${visits}`
  const email = `browser-${tag}@example.com`
  const html = fillTemplate(template, {
    SERVICE_URL: svc.url,
    WRITE_KEY,
    LOAD_OPTIONS: JSON.stringify(options.loadOptions ?? {}),
    USER_ID: `user-${tag}`,
    EMAIL: email,
    ORDER_ID: `order-${tag}`,
  })
  const site = await serveStatic({ '/': { type: 'text/html; charset=utf-8', body: html }, ...options.files })
  const context = await browser.newContext()
  const page = await context.newPage()
  const watch = await watchPage(page)
  try {
    await page.goto(`${site.url}/`)
    const mine = () => svc.sandbox.transactions().filter((tx) => tx.email === email)
    await eventually(
      () => (mine().length >= expected ? true : undefined),
      20_000,
      `${expected} awards for ${email}`,
    ).catch((err: Error) => {
      // What the page did is what explains a missing award.
      throw new Error(`${err.message}; the page saw: ${JSON.stringify(describeWatch(watch), null, 1)}`)
    })
    // Long enough for a duplicate (a retry, a second flush) to arrive if the client sent one.
    await sleep(1500)
    return { email, watch, awards: mine() }
  } finally {
    await context.close()
    await site.close()
  }
}

/** The checks every browser test makes on a visit. */
export function expectExactlyTheAwards(result: Visit): void {
  const { watch, awards } = result
  expect(watch.outside(), 'the page must reach nothing but loopback').toEqual([])
  expect(watch.failures, 'no request of the page may fail').toEqual([])
  expect(watch.errors, 'no script error on the page').toEqual([])
  const byPerk = awards.map((tx) => tx.perk).sort()
  expect(byPerk).toEqual([3001, 3002])
  expect(new Set(awards.map((tx) => tx.trans_source_id)).size).toBe(2)
  expect(awards.find((tx) => tx.perk === 3001)?.quantity).toBe(1)
}

/** The service answered 200 to a request of the page that carried an identify event. */
export function expectIdentifyAccepted(watch: PageWatch, serviceUrl: string): void {
  const identifies = watch.responses.filter(
    (r) => r.url.startsWith(serviceUrl) && r.method === 'POST' && /"type":"identify"/.test(r.body ?? ''),
  )
  expect(identifies.length, 'an identify was sent to the service').toBeGreaterThan(0)
  for (const r of identifies) expect(r.status, r.url).toBe(200)
}

function describeWatch(watch: PageWatch) {
  return {
    requests: watch.requests.map((r) => `${r.method} ${r.url}`),
    responses: watch.responses.map((r) => `${r.status} ${r.method} ${r.url}`),
    failures: watch.failures,
    errors: watch.errors,
  }
}
