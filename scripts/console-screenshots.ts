/**
 * Screenshots of every console view for docs/console.md, taken from a real service (in-process,
 * embedded sandbox as Perkville) by the system Chromium. `npm run docs:screenshots` (builds first).
 */
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { launchChromium } from '../test/browser/harness.js'
import { seed } from '../test/console/seed.js'
import { ADMIN_TOKEN, startTestService } from '../test/server/fixture.js'

const outDir = resolve(import.meta.dirname, '../docs/console')
mkdirSync(outDir, { recursive: true })

const svc = await startTestService({ logLevel: 'warn' })
const browser = await launchChromium()
try {
  const { ids } = await seed(svc.url, 'docs')
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  const shot = async (name: string, hash: string, waitFor: string) => {
    await page.goto(`${svc.url}/${hash}`)
    await page.locator(waitFor).first().waitFor({ timeout: 10_000 })
    await page.waitForTimeout(300)
    await page.screenshot({ path: `${outDir}/${name}.png`, fullPage: true })
    console.log(`docs/console/${name}.png`)
  }
  await page.goto(`${svc.url}/`)
  await page.getByLabel('Admin token').waitFor()
  await page.screenshot({ path: `${outDir}/sign-in.png` })
  console.log('docs/console/sign-in.png')
  await page.getByLabel('Admin token').fill(ADMIN_TOKEN)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('heading', { name: 'Overview' }).waitFor()

  await shot('overview', '#/overview?range=1h', '.funnel, .error')
  await shot('errors', '#/errors?range=1h', '.group, .error, main p')
  await shot('events', `#/events?q=${encodeURIComponent('jane.console@example.com')}`, 'table.events, .error')
  await shot('event', `#/events/${ids.unknownPerk}`, '.attempt, .error')
  await shot('customer', `#/customer/${encodeURIComponent('jane.console@example.com')}`, '.cards, .error')
  await shot('settings', '#/settings', 'form.settings')
  await page.goto(`${svc.url}/#/live`)
  await page.getByText('Connected').or(page.locator('[data-state="error"]')).first().waitFor()
  const wk = (await import('../test/server/fixture.js')).AUTH
  await fetch(`${svc.url}/v1/track`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...wk },
    body: JSON.stringify({
      type: 'track',
      event: 'Checked In',
      userId: 'sam',
      messageId: `docs-live-${Date.now()}`,
      properties: { email: 'sam@example.com' },
    }),
  })
  await page.waitForTimeout(1500)
  await page.screenshot({ path: `${outDir}/live.png`, fullPage: true })
  console.log('docs/console/live.png')

  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true })
  await phone.context().addCookies(await page.context().cookies())
  await phone.goto(`${svc.url}/#/overview?range=1h`)
  await phone.locator('.funnel, .error').first().waitFor()
  await phone.screenshot({ path: `${outDir}/overview-phone.png`, fullPage: true })
  console.log('docs/console/overview-phone.png')
} finally {
  await browser.close()
  await svc.close()
}
