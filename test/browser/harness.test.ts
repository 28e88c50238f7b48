import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { launchChromium, serveStatic, watchPage } from './harness.js'

// The browser tests' guarantee that nothing outside loopback is reached must itself be able to fail.
let browser: Browser
beforeAll(async () => {
  browser = await launchChromium()
})
afterAll(async () => {
  await browser?.close()
})

test('a page that reaches for another host is seen doing so, and the host does not answer', {
  timeout: 60_000,
}, async () => {
  const html = `<!doctype html><img src="https://cdn.segment.com/pixel.gif"><script>
    fetch('http://api.rudderstack.com/sourceConfig/').catch(() => {});
    fetch('http://192.0.2.1:80/v1/t', { method: 'POST', body: '{}' }).catch(() => {});
  </script>`
  const site = await serveStatic({ '/': { type: 'text/html', body: html } })
  const page = await browser.newPage()
  const watch = await watchPage(page)
  try {
    await page.goto(`${site.url}/`)
    await expect.poll(() => watch.failures.length, { timeout: 10_000 }).toBe(3)
    expect(
      watch
        .outside()
        .map((r) => new URL(r.url).host)
        .sort(),
    ).toEqual(['192.0.2.1', 'api.rudderstack.com', 'cdn.segment.com'])
    expect(watch.responses.filter((r) => !r.url.startsWith(site.url))).toEqual([])
  } finally {
    await page.close()
    await site.close()
  }
})
