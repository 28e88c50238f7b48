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
  await phone.goto(`${svc.url}/#/events?q=${encodeURIComponent('jane.console@example.com')}`)
  await phone.locator('table.events, .error').first().waitFor()
  await phone.waitForTimeout(300)
  await phone.screenshot({ path: `${outDir}/events-phone.png`, fullPage: true })
  console.log('docs/console/events-phone.png')

  // A new user's first day: a check-in, a referral, an order and its refund, and an event the map
  // lacks; the event added to the map in Settings; the refused event awarded from the console; the
  // customer's Perkville points adding up to the balance.
  const story = 'mia.story@example.com'
  const track = (event: string, n: string, properties: Record<string, unknown> = {}) => ({
    type: 'track',
    event,
    userId: 'mia',
    messageId: `docs-story-${n}`,
    properties: { email: story, ...properties },
  })
  await fetch(`${svc.url}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...wk },
    body: JSON.stringify({
      batch: [
        track('Checked In', 'checkin'),
        track('Referral Sent', 'referral'),
        track('Order Completed', 'order', { order_id: 'ORD-MIA-1', revenue: 49.99 }),
        track('Order Refunded', 'refund', { order_id: 'ORD-MIA-1', revenue: 49.99 }),
        track('Class Booked', 'booked'),
      ],
    }),
  })
  await page.waitForTimeout(2000)
  await page.goto(`${svc.url}/#/errors?range=1h`)
  const group = page.locator('.group[data-code="EVENT_NOT_ALLOWLISTED"]')
  await group.waitFor()
  await page.screenshot({ path: `${outDir}/story-1-refused.png`, fullPage: true })
  console.log('docs/console/story-1-refused.png')
  await page.goto(`${svc.url}/#/settings`)
  const map = page.locator('fieldset[data-map="eventToPerkMap"]')
  await map.getByRole('button', { name: 'Add a row' }).click()
  const row = map.locator('.map-row').last()
  await row.locator('input').first().fill('Class Booked')
  await row.locator('input.perk').fill('3001')
  await page.getByRole('button', { name: 'Save settings' }).click()
  // The demo settings keep a perk Perkville lacks (9999), so the check fails and the page asks first.
  await page.getByRole('dialog').getByRole('button', { name: 'Save anyway' }).click()
  const offer = page.locator('.offer')
  await offer.waitFor()
  await offer.scrollIntoViewIfNeeded()
  await page.screenshot({ path: `${outDir}/story-2-settings-offer.png` })
  console.log('docs/console/story-2-settings-offer.png')
  await offer.getByRole('button', { name: 'Award them now…' }).click()
  await page
    .getByRole('dialog')
    .getByRole('button', { name: /^Award / })
    .waitFor()
  await page.screenshot({ path: `${outDir}/story-3-award-dialog.png` })
  console.log('docs/console/story-3-award-dialog.png')
  await page
    .getByRole('dialog')
    .getByRole('button', { name: /^Award / })
    .click()
  await page.getByRole('status').filter({ hasText: 'queued to be awarded' }).waitFor()
  await page.waitForTimeout(2500)
  await page.goto(`${svc.url}/#/customer/${encodeURIComponent(story)}`)
  await page.locator('[data-reconciles]').waitFor({ timeout: 10_000 })
  await page.waitForTimeout(300)
  await page.screenshot({ path: `${outDir}/story-4-customer-points.png`, fullPage: true })
  console.log('docs/console/story-4-customer-points.png')
} finally {
  await browser.close()
  await svc.close()
}
