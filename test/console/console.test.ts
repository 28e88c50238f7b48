/**
 * The operator console in the system Chromium against a real service (in-process, the sandbox as
 * Perkville): one browser and one service for the whole file, one page per test.
 */
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createPerkvilleClient } from '../../src/perkville/client.js'
import { runContractProbe } from '../../src/perkville/contract-probe.js'
import { writeContractCheck } from '../../src/server/contract-check-file.js'
import { launchChromium, serveStatic, watchPage } from '../browser/harness.js'
import { ADMIN, ADMIN_TOKEN, AUTH, post, startTestService, type TestService } from '../server/fixture.js'
import { eventually } from '../service/helpers.js'
import { CUSTOMER, type Seeded, seed } from './seed.js'

let svc: TestService
let browser: Browser
let seeded: Seeded
let signedIn: Awaited<ReturnType<Browser['newContext']>>

const adminJson = async <T>(path: string): Promise<T> => {
  const res = await fetch(`${svc.url}${path}`, { headers: ADMIN })
  expect(res.status, path).toBe(200)
  return (await res.json()) as T
}
/** A new settings version through the admin API (the API key in force kept); it must be taken. */
async function putSettings(settings: Record<string, unknown>) {
  const res = await fetch(`${svc.url}/admin/settings`, {
    method: 'PUT',
    headers: { ...ADMIN, 'content-type': 'application/json' },
    body: JSON.stringify({ ...settings, apiKey: undefined }),
  })
  expect(res.status).toBe(200)
}
const eventOf = (id: string) => adminJson<{ status: string; attemptLog: unknown[] }>(`/admin/events/${id}`)

async function signInPage(page: Page, token: string) {
  await page.goto(`${svc.url}/`)
  await page.getByLabel('Admin token').fill(token)
  await page.getByRole('button', { name: 'Sign in' }).click()
}

/** A page in the signed-in context, at `hash`. */
async function open(hash: string): Promise<Page> {
  const page = await signedIn.newPage()
  await page.goto(`${svc.url}/${hash}`)
  return page
}

beforeAll(async () => {
  svc = await startTestService({ logLevel: 'warn' })
  browser = await launchChromium()
  seeded = await seed(svc.url, `t${Date.now()}`)
  signedIn = await browser.newContext()
  const page = await signedIn.newPage()
  await signInPage(page, ADMIN_TOKEN)
  await page.getByRole('heading', { name: 'Overview' }).waitFor()
  await page.close()
}, 60_000)
afterAll(async () => {
  await browser?.close()
  await svc?.close()
}, 60_000)

test('sign in: a wrong token is refused with a message, the right one opens the overview', async () => {
  const context = await browser.newContext()
  const page = await context.newPage()
  const watch = await watchPage(page)
  await page.goto(`${svc.url}/`)
  await page.getByLabel('Admin token').waitFor()
  // Asking whether one is signed in is no error: no 401 for the browser to log.
  expect(watch.responses.filter((r) => r.status >= 400)).toEqual([])
  await signInPage(page, 'not-the-token-123')
  await expect.poll(() => page.getByRole('alert').textContent()).toContain('not valid')
  expect(await page.getByRole('heading', { name: 'Overview' }).count()).toBe(0)
  await page.getByLabel('Admin token').fill(ADMIN_TOKEN)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('heading', { name: 'Overview' }).waitFor()
  // Signed out again, /admin answers 401 to this browser and the page asks for the token.
  await page.getByRole('button', { name: 'Sign out' }).click()
  await page.getByLabel('Admin token').waitFor()
  expect(watch.outside()).toEqual([])
  await context.close()
})

test("the overview's numbers equal the admin API's for the same range", async () => {
  const page = await open('#/overview?range=1h')
  const cards = page.locator('.cards[data-from]')
  await cards.waitFor()
  const from = Date.parse((await cards.getAttribute('data-from'))!)
  const to = Date.parse((await cards.getAttribute('data-to'))!)
  // The page may refresh meanwhile; read it and the API for the range the page shows.
  const api = await adminJson<{ funnel: Record<string, number> }>(`/admin/overview?from=${from}&to=${to}`)
  expect(api.funnel.received).toBeGreaterThanOrEqual(5)
  for (const [stage, value] of Object.entries(api.funnel)) {
    const cell = page.locator(`tr[data-metric="${stage}"] td[data-count]`)
    expect(await cell.textContent(), stage).toBe(value.toLocaleString('en'))
  }
  await page.close()
})

test('a search by email finds the delivered, the skipped and the rejected event with their codes', async () => {
  const page = await open('#/events')
  const search = page.locator('input[type="search"]')
  await search.fill(CUSTOMER)
  await search.press('Enter')
  const rows = page.locator('table.events tbody tr')
  // The unfiltered list shows first; wait for the search's answer (only this customer's events).
  await expect
    .poll(
      async () => {
        const texts = await rows.allTextContents()
        return texts.length >= 5 && texts.every((t) => t.includes(CUSTOMER))
      },
      { timeout: 10_000 },
    )
    .toBe(true)
  const row = (status: string) => page.locator(`tr[data-status="${status}"]`)
  expect(await row('delivered').count()).toBeGreaterThanOrEqual(2)
  expect(await row('skipped').textContent()).toContain('ZERO_AMOUNT')
  expect(await row('rejected').textContent()).toContain('EVENT_NOT_ALLOWLISTED')
  for (const text of await rows.allTextContents()) expect(text).toContain(CUSTOMER)
  // At the default 1280 px width no heading and no event name is cut inside a word ("Orde/r Com/plete/d"):
  // each is at least as wide as its longest word.
  const cut = await page.evaluate(() => {
    const ctx = document.createElement('canvas').getContext('2d')!
    const cells = Array.from(
      document.querySelectorAll('table.events th, table.events td[data-label="Event"]'),
    )
    return cells
      .filter((el) => {
        const style = getComputedStyle(el)
        ctx.font = style.font
        const widest = Math.max(
          ...(el.textContent ?? '').split(/\s+/).map((w: string) => ctx.measureText(w).width),
        )
        const inner = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)
        return inner + 0.5 < widest
      })
      .map((el) => el.textContent)
  })
  expect(cut).toEqual([])
  await page.close()
})

test('the search box says it takes a userId: it finds the events the sender tied to it, which show their ids', async () => {
  const page = await open('#/events')
  const search = page.getByLabel('Email, order id, messageId, userId or anonymousId')
  await search.fill('jane')
  await search.press('Enter')
  const row = (id: string) => page.locator(`tr[data-event-id="${id}"]`)
  await row(seeded.ids.delivered).waitFor()
  // Every event the seed sent as userId "jane", accepted and refused, and nothing else.
  await expect.poll(() => page.locator('table.events tbody tr').count()).toBe(3)
  expect(await row(seeded.ids.unknownPerk).count()).toBe(1)
  expect(await page.locator('tr[data-status="rejected"]').count()).toBe(1)
  await row(seeded.ids.delivered).locator('a').click()
  await expect.poll(() => page.locator('[data-user-id]').textContent()).toBe('jane')
  expect(await page.locator('[data-anonymous-id]').textContent()).toBe('–')
  await page.close()
})

test("a delivered event opens to what was sent, rebuilt from the event (a success keeps no request), and Perkville's answer", async () => {
  const page = await open('#/events?status=delivered')
  await page.locator(`tr[data-event-id="${seeded.ids.order}"] a`).click()
  const attempt = page.locator('.attempt').first()
  await attempt.waitFor()
  const text = (await attempt.textContent()) ?? ''
  expect(text).toContain('Request (token redacted)')
  expect(text).toContain('"quantity": 42.5')
  expect(text).toContain('"rebuilt": "from the event')
  expect(text).toContain("Perkville's response")
  expect(text).toMatch(/"status": 20[01]/)
  expect(text).not.toContain(svc.sandbox.token)
  await page.close()
})

test("dates are in the browser's locale with the zone shown, the exact ISO time on hover", async () => {
  const context = await browser.newContext({
    locale: 'en-US',
    timezoneId: 'America/New_York',
    storageState: await signedIn.storageState(),
  })
  const page = await context.newPage()
  await page.goto(`${svc.url}/#/events/${seeded.ids.order}`)
  const received = page.locator('.facts time').first()
  await received.waitFor()
  const iso = (await received.getAttribute('title'))!
  expect(iso).toMatch(/^\d{4}-\d{2}-\d{2}T/)
  const expected = new Intl.DateTimeFormat('en-US', {
    dateStyle: 'medium',
    timeStyle: 'long',
    timeZone: 'America/New_York',
  }).format(new Date(iso))
  expect(await received.textContent()).toBe(expected)
  // Month first for en-US, and the zone named (EST or EDT).
  expect(expected).toMatch(/^[A-Z][a-z]{2} \d{1,2}, \d{4}, .* E[SD]T$/)
  await page.goto(`${svc.url}/#/events`)
  await page.getByLabel('From (America/New_York)').waitFor()
  await context.close()
})

test('the health banner says what is wrong, what to do, and links to the fix', async () => {
  // The test settings map "Unknown Perk" to perk 9999, which the sandbox does not have.
  const page = await open('#/overview')
  const banner = page.locator('[data-problem="settings"]')
  await banner.waitFor({ timeout: 15_000 })
  expect(await banner.textContent()).toContain('perk 9999')
  await banner.getByRole('link', { name: 'Open Settings' }).click()
  await page.getByRole('heading', { name: 'Settings' }).waitFor()
  await page.getByRole('button', { name: 'Check settings' }).click()
  const item = page.locator('.check li.bad').filter({ hasText: '9999' })
  await item.waitFor()
  expect(await item.textContent()).toContain('What to do')
  await page.close()
})

test('errors are grouped with what to do, and open the matching events', async () => {
  const page = await open('#/errors?range=1h')
  const group = page.locator('.group[data-code="EVENT_NOT_ALLOWLISTED"]')
  await group.waitFor()
  expect(await group.textContent()).toContain('What to do')
  expect(await group.textContent()).toContain(CUSTOMER)
  expect(await page.locator('.group[data-code="ZERO_AMOUNT"]').count()).toBe(0)
  await group.getByRole('link', { name: /^See the (1 matching event|\d+ matching events)$/ }).click()
  const row = page.locator('tr[data-status="rejected"]').filter({ hasText: CUSTOMER })
  await row.first().waitFor()
  expect(await page.locator('tr[data-status]:not([data-status="rejected"])').count()).toBe(0)
  await page.close()
})

test("a refused event name near a mapped one: the reason in the Settings view's words, and did you mean", async () => {
  const messageId = `near-${Date.now()}`
  const sent = await post(
    `${svc.url}/v1/track`,
    {
      type: 'track',
      event: 'checked in',
      userId: 'near',
      messageId,
      properties: { email: `${messageId}@example.com` },
    },
    AUTH,
  )
  expect(sent.status).toBe(200)
  const found = await eventually(async () => {
    const page = await adminJson<{ events: Array<{ id: string }> }>(`/admin/events?messageId=${messageId}`)
    return page.events[0]?.id
  })
  const page = await open(`#/events/${found}`)
  const hint = page.locator('.did-you-mean')
  await hint.waitFor()
  expect(await hint.textContent()).toContain('Did you mean Checked In?')
  expect(await hint.getByRole('link', { name: 'Settings' }).getAttribute('href')).toBe('#/settings')
  const why = (await page.locator('.facts').textContent()) ?? ''
  expect(why).toContain('"Events that award a perk"')
  expect(why).not.toContain('eventToPerkMap')
  await page.close()
})

test('parked events (an unknown perk) are released after a confirmation', async () => {
  const id = seeded.ids.unknownPerk
  expect((await eventOf(id)).status).toBe('parked')
  const page = await open('#/errors?range=1h')
  const group = page.locator('.group[data-code="unknown_perk"]')
  await group.waitFor()
  await group.getByRole('button', { name: 'Release all parked events…' }).click()
  const dialog = page.getByRole('dialog')
  await dialog.getByRole('button', { name: 'Cancel' }).click()
  await group.getByRole('button', { name: 'Release all parked events…' }).click()
  await dialog.getByRole('button', { name: 'Release' }).click()
  const notice = page.getByRole('status').filter({ hasText: 'queued again' })
  await notice.waitFor()
  expect(await notice.textContent()).toMatch(
    /^(1 parked event|([2-9]|[1-9]\d+) parked events) queued again\.$/,
  )
  await page.close()
})

test('a customer: orders, points and every event, refused ones included', async () => {
  const page = await open(`#/customer/${encodeURIComponent(CUSTOMER)}`)
  await page.locator('table.events').waitFor()
  const text = (await page.locator('main').textContent()) ?? ''
  expect(text).toContain('Points awarded')
  expect(text).toMatch(/ORD-t\d+/)
  expect(await page.locator('table.events tr[data-status="rejected"]').count()).toBe(1)
  expect(await page.locator('table.events tr[data-status="skipped"]').count()).toBe(1)
  await page.close()
})

describe('retry and replay ask first', () => {
  test('retry: cancelling does nothing, confirming queues the event again', async () => {
    // A second award for the same order, failed by the order rule; retried, the operator overrides it.
    const id = seeded.ids.failed
    const before = await eventOf(id)
    const page = await open(`#/events/${id}`)
    const watch = await watchPage(page)
    await page.getByRole('button', { name: 'Retry this event…' }).click()
    const dialog = page.getByRole('dialog')
    expect(await dialog.textContent()).toContain('Retry this event?')
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    expect(watch.requests.filter((r) => r.url.endsWith('/retry'))).toEqual([])
    expect((await eventOf(id)).status).toBe('failed')
    await page.getByRole('button', { name: 'Retry this event…' }).click()
    await dialog.getByRole('button', { name: 'Retry' }).click()
    await page.getByRole('status').filter({ hasText: 'Queued again' }).waitFor()
    expect(watch.responses.filter((r) => r.url.endsWith('/retry')).map((r) => r.status)).toEqual([200])
    // Queued again: it is delivered, or (should the rule fail it again) its record shows another try.
    await eventually(async () => {
      const now = await eventOf(id)
      return now.status !== 'failed' || JSON.stringify(now) !== JSON.stringify(before) ? true : undefined
    })
    await page.close()
  })

  test('replay: the dialog says how many failed events match, and confirming replays them', async () => {
    const id = seeded.ids.replay
    const before = await eventOf(id)
    // Order-rule failures are replayed only when their code is asked for (a policy, not a fault).
    const filter = `q=${encodeURIComponent(CUSTOMER)}&code=order_already_awarded`
    const page = await open(`#/events?${filter}&status=failed`)
    await page.locator(`tr[data-event-id="${id}"]`).waitFor()
    const { count } = await adminJson<{ count: number }>(`/admin/replay/preview?${filter}`)
    expect(count).toBe(1)
    await page.getByRole('button', { name: 'Replay failed…' }).click()
    const dialog = page.getByRole('dialog')
    await dialog.waitFor()
    expect(await dialog.textContent()).toContain(
      count === 1 ? '1 failed event matches' : `${count} failed events match`,
    )
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    expect((await eventOf(id)).status).toBe('failed')
    await page.getByRole('button', { name: 'Replay failed…' }).click()
    await dialog.getByRole('button', { name: `Replay ${count}` }).click()
    await page
      .getByRole('status')
      .filter({
        hasText: count === 1 ? '1 failed event queued again' : `${count} failed events queued again`,
      })
      .waitFor()
    // Queued again: it is delivered, or (should the rule fail it again) its record shows another try.
    await eventually(async () => {
      const now = await eventOf(id)
      return now.status !== 'failed' || JSON.stringify(now) !== JSON.stringify(before) ? true : undefined
    })
    // Another customer's failure is not in this filter, and stays failed.
    expect((await eventOf(seeded.ids.otherFailed)).status).toBe('failed')
    await page.close()
  })
})

/** Saves the settings form and waits for it to become `version`: the history entry's text. */
async function saveAs(page: Page, version: number): Promise<string | null> {
  await page.getByRole('button', { name: 'Save settings' }).click()
  const saved = page.getByRole('status').filter({ hasText: `Saved as version ${version}` })
  // The seeded settings fail the check (a perk Perkville does not have): the page asks first.
  const ask = page.getByRole('dialog').getByRole('button', { name: 'Save anyway' })
  await saved.or(ask).waitFor()
  if (await ask.isVisible()) await ask.click()
  await saved.waitFor()
  const entry = page.locator(`.history li[data-version="${version}"]`)
  await entry.waitFor()
  return entry.textContent()
}

describe('settings', () => {
  test('a bad perk id is shown beside its field and changes nothing', async () => {
    const before = await adminJson<{ version: number; settings: { eventToPerkMap: Record<string, string> } }>(
      '/admin/settings',
    )
    const page = await open('#/settings')
    const row = page.locator('.map-row[data-row="Checked In"]')
    await row.locator('input.perk').fill('abc')
    await page.getByRole('button', { name: 'Save settings' }).click()
    const error = row.locator('.field-error')
    await error.waitFor()
    expect(await error.textContent()).toContain('positive integer')
    expect(await row.locator('input.perk').getAttribute('aria-invalid')).toBe('true')
    const describedBy = await row.locator('input.perk').getAttribute('aria-describedby')
    expect(await page.locator(`#${describedBy}`).textContent()).toContain('"abc"')
    // Other rows carry no error.
    expect(await page.locator('.map-row[data-row="Order Completed"] .field-error').count()).toBe(0)
    const after = await adminJson<typeof before>('/admin/settings')
    expect(after.version).toBe(before.version)
    expect(after.settings.eventToPerkMap['Checked In']).toBe('3001')
    await page.close()
  })

  test('a good edit is saved and appears in the history', async () => {
    const before = await adminJson<{ version: number }>('/admin/settings')
    const page = await open('#/settings')
    await page.getByLabel('Location id').fill('2002')
    await page.getByRole('button', { name: 'Save settings' }).click()
    // The settings fail the check (perk 9999 and location 2002 are not the business's): it asks first,
    // naming what failed; cancelled, nothing is saved.
    const dialog = page.getByRole('dialog')
    await dialog.getByText('Save settings that fail the check?').waitFor()
    expect(await dialog.textContent()).toContain('perk 9999')
    expect(await dialog.textContent()).toContain('location 2002')
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    expect((await adminJson<{ version: number }>('/admin/settings')).version).toBe(before.version)
    await page.getByRole('button', { name: 'Save settings' }).click()
    await dialog.getByRole('button', { name: 'Save anyway' }).click()
    await page
      .getByRole('status')
      .filter({ hasText: `Saved as version ${before.version + 1}` })
      .waitFor()
    const entry = page.locator(`.history li[data-version="${before.version + 1}"]`)
    await entry.waitFor()
    expect(await entry.textContent()).toContain('locationId')
    expect(await entry.textContent()).toContain('api')
    const after = await adminJson<{ version: number; settings: { locationId: string } }>('/admin/settings')
    expect(after.settings.locationId).toBe('2002')
    // Put it back for the tests after this one.
    await putSettings({ ...after.settings, locationId: '2001' })
    await page.close()
  })

  test('once per day is ticked per event, saved as oncePerDayEvents and named in the history', async () => {
    const before = await adminJson<{ version: number; settings: Record<string, unknown> }>('/admin/settings')
    const page = await open('#/settings')
    await page.getByLabel('Once per day for Checked In').check()
    expect(await saveAs(page, before.version + 1)).toContain('oncePerDayEvents "Checked In" added')
    const after = await adminJson<{ settings: { oncePerDayEvents: string[] } }>('/admin/settings')
    expect(after.settings.oncePerDayEvents).toEqual(['Checked In'])
    // A fresh page shows it ticked; unticking it saves it away again.
    const again = await open('#/settings')
    const box = again.getByLabel('Once per day for Checked In')
    expect(await box.isChecked()).toBe(true)
    expect(await again.getByLabel('Once per day for Order Completed').isChecked()).toBe(false)
    await box.uncheck()
    expect(await saveAs(again, before.version + 2)).toContain('oncePerDayEvents "Checked In" removed')
    expect((await adminJson<typeof after>('/admin/settings')).settings.oncePerDayEvents).toEqual([])
    await page.close()
    await again.close()
  })

  test('the event tester shows the decision for a pasted event', async () => {
    const page = await open('#/settings')
    const box = page.getByLabel('An event (JSON), decided with the settings in force')
    await box.fill(
      JSON.stringify({
        type: 'track',
        event: 'Checked In',
        userId: 'u-1',
        properties: { email: 't@example.com' },
      }),
    )
    await page.getByRole('button', { name: 'Decide', exact: true }).click()
    const decision = page.locator('.decision')
    await decision.waitFor()
    expect(await decision.textContent()).toContain('3001')
    expect(await decision.textContent()).toContain('t@example.com')
    await box.fill(
      JSON.stringify({
        type: 'track',
        event: 'Not Mapped',
        userId: 'u-1',
        properties: { email: 't@example.com' },
      }),
    )
    await page.getByRole('button', { name: 'Decide', exact: true }).click()
    await expect.poll(() => decision.textContent()).toContain('EVENT_NOT_ALLOWLISTED')
    expect(await decision.getAttribute('data-outcome')).toBe('reject')
    // Sent, it goes through the service like any received event, and opens from the answer.
    const email = `tester-${Date.now()}@example.com`
    await box.fill(
      JSON.stringify({ type: 'track', event: 'Checked In', userId: 'u-2', properties: { email } }),
    )
    await page.getByRole('button', { name: 'Decide and send it' }).click()
    await decision.getByText('Sent:').waitFor()
    await decision.getByRole('link', { name: /^event / }).click()
    await page.getByRole('heading', { name: /^Event / }).waitFor()
    await page.getByText(email).first().waitFor()
    await page.close()
  })
})

describe('refused events awarded after a fix', () => {
  test('Errors: "Award these now…" previews how many would be awarded, and cancelling does nothing', async () => {
    const page = await open('#/errors?range=1h')
    const group = page.locator('.group[data-code="EVENT_NOT_ALLOWLISTED"]')
    await group.getByRole('button', { name: 'Award these now…' }).click()
    const dialog = page.getByRole('dialog')
    await dialog.getByText(/would be awarded/).waitFor()
    expect(await dialog.textContent()).toMatch(
      /(1 refused event matches|([2-9]|[1-9]\d+) refused events match)\. .*0 would be awarded/,
    )
    expect(await dialog.textContent()).toMatch(/Still refused: EVENT_NOT_ALLOWLISTED [1-9]/)
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    await page.close()
  })

  test('after a map change in Settings the console offers the refused events it would now award', async () => {
    const email = `booked-${Date.now()}@example.com`
    const sent = await post(
      `${svc.url}/v1/track`,
      { type: 'track', event: 'Class Booked', userId: 'booker', properties: { email } },
      AUTH,
    )
    expect(sent.status).toBe(200)
    const before = await adminJson<{ settings: Record<string, unknown> }>('/admin/settings')
    const page = await open('#/settings')
    const map = page.locator('fieldset[data-map="eventToPerkMap"]')
    await map.getByRole('button', { name: 'Add a row' }).click()
    const row = map.locator('.map-row').last()
    await row.locator('input').first().fill('Class Booked')
    await row.locator('input.perk').fill('3001')
    await page.getByRole('button', { name: 'Save settings' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Save anyway' }).click()
    const offer = page.locator('.offer')
    await offer.waitFor()
    expect(await offer.textContent()).toMatch(
      /^(1 refused event|[1-9]\d* refused events) would now be awarded under these settings/,
    )
    await offer.getByRole('button', { name: 'Award them now…' }).click()
    const dialog = page.getByRole('dialog')
    await dialog.getByRole('button', { name: /^Award [1-9]/ }).click()
    await page
      .getByRole('status')
      .filter({ hasText: /refused events? queued to be awarded/ })
      .waitFor()
    await eventually(async () => {
      const found = await adminJson<{ events: Array<{ status: string }> }>(
        `/admin/events?q=${encodeURIComponent(email)}&status=delivered`,
      )
      return found.events.length === 1 ? true : undefined
    })
    // Put the map back for the tests after this one.
    await putSettings({ ...before.settings })
    await page.close()
  })
})

test('the live view shows an event sent after it opened', async () => {
  const page = await open('#/live')
  await page.locator('[data-state="open"]').waitFor()
  const email = `live-${Date.now()}@example.com`
  const sent = await post(
    `${svc.url}/v1/track`,
    {
      type: 'track',
      event: 'Checked In',
      userId: 'live',
      messageId: `live-${Date.now()}`,
      properties: { email },
    },
    AUTH,
  )
  expect(sent.status).toBe(200)
  await page.locator('table.events').getByText(email).first().waitFor({ timeout: 10_000 })
  // Paused, a new event waits (counted on the button) and shows on resume.
  await page.getByRole('button', { name: 'Pause' }).click()
  const later = `live-later-${Date.now()}@example.com`
  const again = await post(
    `${svc.url}/v1/track`,
    {
      type: 'track',
      event: 'Checked In',
      userId: 'live',
      messageId: `live-later-${Date.now()}`,
      properties: { email: later },
    },
    AUTH,
  )
  expect(again.status).toBe(200)
  await page.getByRole('button', { name: /^Resume \([1-9]\d* waiting\)$/ }).waitFor({ timeout: 10_000 })
  expect(await page.locator('table.events').getByText(later).count()).toBe(0)
  await page.getByRole('button', { name: /^Resume/ }).click()
  await page.locator('table.events').getByText(later).first().waitFor()
  // Each event once, however many times its state changed.
  await expect.poll(() => page.locator('table.events').getByText(email).count()).toBe(1)
  await page.close()
})

test('the live view shows every refused event as its own row (refusals carry no id)', async () => {
  const page = await open('#/live')
  await page.locator('[data-state="open"]').waitFor()
  const stamp = Date.now()
  const emails = [1, 2, 3].map((n) => `live-refused-${n}-${stamp}@example.com`)
  for (const email of emails) {
    const sent = await post(
      `${svc.url}/v1/track`,
      { type: 'track', event: 'Not Mapped', userId: 'live', properties: { email } },
      AUTH,
    )
    expect(sent.status).toBe(200)
  }
  const table = page.locator('table.events')
  await table.getByText(emails[2]!).waitFor({ timeout: 10_000 })
  for (const email of emails)
    expect(await table.locator('tr[data-status="rejected"]').getByText(email).count()).toBe(1)
  await page.close()
})

describe('long unbroken strings and a phone', () => {
  const long = `${'x'.repeat(243)}@example.com`
  const longOrder = `ORD-${'9'.repeat(120)}`
  let refusedId = ''

  beforeAll(async () => {
    expect(long).toHaveLength(255)
    const tag = Date.now()
    const sent = await post(
      `${svc.url}/v1/batch`,
      {
        batch: [
          {
            type: 'track',
            event: 'Checked In',
            userId: 'wide',
            messageId: `wide-${tag}`,
            properties: { email: long },
          },
          {
            type: 'track',
            event: 'Order Completed',
            userId: 'wide',
            messageId: `wide-order-${tag}`,
            properties: { email: CUSTOMER, order_id: longOrder, revenue: 3 },
          },
        ],
      },
      AUTH,
    )
    expect(sent.status).toBe(200)
    refusedId = await eventually(async () => {
      const found = await adminJson<{ events: Array<{ id: string }> }>(`/admin/events?messageId=wide-${tag}`)
      return found.events[0]?.id
    })
  })

  /** How far the page, and anything inside that scrolls on its own, is wider than the window. */
  const overflow = (page: Page) =>
    page.evaluate(() => {
      const out: string[] = []
      const root = document.documentElement
      if (root.scrollWidth > window.innerWidth) out.push(`page ${root.scrollWidth}px`)
      for (const el of Array.from(document.querySelectorAll<HTMLElement>('main *'))) {
        const style = getComputedStyle(el)
        // Visually hidden (the phone layout's table head for screen readers) is not cut off.
        if (!/(auto|scroll|hidden)/.test(style.overflowX) || el.clientWidth <= 1) continue
        if (el.scrollWidth > el.clientWidth + 1)
          out.push(`${el.tagName.toLowerCase()}.${el.className} ${el.scrollWidth}px in ${el.clientWidth}px`)
      }
      return out
    })

  for (const width of [390, 1280]) {
    test(`at ${width} px every view fits the window: nothing wider, nothing cut off`, async () => {
      const context = await browser.newContext({
        viewport: { width, height: 844 },
        storageState: await signedIn.storageState(),
      })
      const page = await context.newPage()
      const views = [
        '#/overview',
        '#/errors?range=1h',
        `#/events?q=${encodeURIComponent(CUSTOMER)}`,
        '#/events?status=rejected',
        `#/events/${refusedId}`,
        `#/events/${seeded.ids.order}`,
        `#/customer/${encodeURIComponent(CUSTOMER)}`,
        '#/settings',
      ]
      const seen: Record<string, string[]> = {}
      for (const view of views) {
        await page.goto(`${svc.url}/${view}`)
        await page.locator('main h1').first().waitFor()
        await page.waitForLoadState('networkidle')
        seen[view] = await overflow(page)
      }
      // The long email is on the Errors page, and the long order id in the customer's events.
      await page.goto(`${svc.url}/#/errors?range=1h`)
      await page.locator('.group[data-code="INVALID_EMAIL"]').getByText(long).first().waitFor()
      seen.errors = await overflow(page)
      await page.goto(`${svc.url}/#/live`)
      await page.locator('[data-state="open"]').waitFor()
      const again = await post(
        `${svc.url}/v1/track`,
        { type: 'track', event: 'Checked In', userId: 'wide', properties: { email: long } },
        AUTH,
      )
      expect(again.status).toBe(200)
      await page.locator('table.events').getByText(long).first().waitFor({ timeout: 10_000 })
      seen.live = await overflow(page)
      expect(seen).toEqual(Object.fromEntries(Object.keys(seen).map((k) => [k, []])))
      await context.close()
    })
  }
})

test('Settings shows the last live contract check (check --write-probe) with its time and its answers', async () => {
  // The probe as `check --write-probe` runs it, against the service's own sandbox, kept in its data dir.
  const client = createPerkvilleClient({ baseUrl: svc.sandbox.url, token: svc.sandbox.token })
  const target = { businessId: '1001', locationId: '2001', perkId: '3001', email: 'probe@example.com' }
  const result = await runContractProbe(target, client.baseUrl, {
    get: client.getJson,
    post: client.postJson,
  })
  expect(result.ok).toBe(true)
  writeContractCheck(svc.dataDir, result)
  const page = await open('#/settings')
  const watch = await watchPage(page)
  await page.reload()
  const shown = page.locator('.contract-check')
  await shown.waitFor()
  expect(await shown.getAttribute('data-contract')).toBe('ok')
  const text = (await shown.textContent()) ?? ''
  expect(text).toContain(result.transSourceId)
  expect(text).toContain('the assumptions hold')
  // The time is the console's <time> element: the exact ISO time on hover.
  expect(await shown.locator('time').first().getAttribute('title')).toMatch(/^\d{4}-\d{2}-\d{2}T/)
  expect(watch.errors).toEqual([])
  await page.close()
})

test('the banner follows the settings check at once: fixed, it goes', async () => {
  const before = await adminJson<{ settings: { eventToPerkMap: Record<string, string> } }>('/admin/settings')
  const page = await open('#/settings')
  const banner = page.locator('[data-problem="settings"]')
  await banner.waitFor({ timeout: 15_000 })
  // The fix: the event mapped to a perk Perkville does not have leaves the map.
  const { 'Unknown Perk': _gone, ...map } = before.settings.eventToPerkMap
  await putSettings({ ...before.settings, eventToPerkMap: map })
  const checked = page.waitForResponse((r) => r.url().endsWith('/admin/settings/check'))
  await page.getByRole('button', { name: 'Check settings' }).click()
  await checked
  // The page asks for the health right after the check (not at its next 15 s refresh).
  await page.waitForResponse((r) => r.url().endsWith('/admin/health'))
  await expect.poll(() => banner.count()).toBe(0)
  await putSettings({ ...before.settings })
  await page.close()
})

test('a cross-site form post to a state-changing route is refused, even with the session cookie', async () => {
  const id = seeded.ids.otherFailed
  const before = (await eventOf(id)).attemptLog.length
  // Another port of the same host: the same site for SameSite, so the browser does send the cookie.
  const site = await serveStatic({
    '/': {
      type: 'text/html',
      body: `<!doctype html><form method="POST" action="${svc.url}/admin/events/${id}/retry"><input name="a" value="1"></form><script>document.forms[0].submit()</script>`,
    },
  })
  const page = await signedIn.newPage()
  try {
    const answer = page.waitForResponse((r) => r.url().endsWith(`/admin/events/${id}/retry`))
    await page.goto(`${site.url}/`)
    const response = await answer
    expect(response.status()).toBe(403)
    expect(await response.text()).toContain('CSRF')
    expect((await response.request().allHeaders()).cookie).toMatch(/pv_session=/)
    const event = await eventOf(id)
    expect(event.status).toBe('failed')
    expect(event.attemptLog.length).toBe(before)
  } finally {
    await page.close()
    await site.close()
  }
})

test('every view: labelled controls, no script or policy error, nothing from elsewhere; the keyboard reaches the menu first', async () => {
  const views = [
    '#/overview',
    '#/errors',
    `#/events?q=${encodeURIComponent(CUSTOMER)}`,
    `#/events/${seeded.ids.order}`,
    `#/customer/${encodeURIComponent(CUSTOMER)}`,
    '#/settings',
    '#/live',
  ]
  const page = await signedIn.newPage()
  const watch = await watchPage(page)
  for (const view of views) {
    await page.goto(`${svc.url}/${view}`)
    await page.locator('main h1').first().waitFor()
    await page.waitForTimeout(200)
    const unlabelled = await page.evaluate(() =>
      Array.from(document.querySelectorAll('input, select, textarea, button'))
        .filter((el) => {
          const named =
            (el as HTMLInputElement).labels?.length ||
            el.getAttribute('aria-label') ||
            (el.tagName === 'BUTTON' && el.textContent?.trim())
          return !named
        })
        .map((el) => el.outerHTML.slice(0, 80)),
    )
    expect(unlabelled, view).toEqual([])
  }
  // No script error and nothing the Content-Security-Policy had to block; nothing from elsewhere.
  expect(watch.errors).toEqual([])
  expect(watch.outside()).toEqual([])
  await page.goto(`${svc.url}/#/overview`)
  await page.locator('main h1').waitFor()
  await page.keyboard.press('Tab')
  expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content')
  await page.keyboard.press('Tab')
  expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Overview')
  await page.close()
})
