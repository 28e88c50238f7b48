import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseSettings, type Settings } from '../../src/core/settings.js'
import { createPerkvilleClient, type PerkvilleHttpClient } from '../../src/perkville/client.js'
import { checkSettings, type JsonGet } from '../../src/perkville/settings-check.js'
import { type RunningSandbox, type SandboxSeed, startSandbox } from '../../src/sandbox/index.js'
import { CONFORMANCE_SETTINGS } from '../fixtures/conformance.js'

const conformance = parseSettings(JSON.parse(readFileSync(CONFORMANCE_SETTINGS, 'utf8')))

/** A business with more perks and locations than one page holds, and a token of another account. */
const seed: SandboxSeed = {
  tokens: [{ token: 'full-token' }, { token: 'other-account-token', businesses: [9] }],
  businesses: [
    {
      id: 1001,
      name: 'Sandbox Fitness',
      locations: Array.from({ length: 25 }, (_, i) => ({ id: 2001 + i, name: `Location ${i}` })),
      perks: Array.from({ length: 45 }, (_, i) => ({
        id: 3001 + i,
        title: `Perk ${i}`,
        kind: 'visit' as const,
        pointsPerUnit: 1,
      })),
    },
    { id: 9, name: 'Other', locations: [], perks: [] },
  ],
}

let sandbox: RunningSandbox
let client: PerkvilleHttpClient

/** A transport of the caller's own (as the Segment Actions destination has): plain fetch. */
function fetchGet(token: string): JsonGet {
  return async (url) => {
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
    return { status: res.status, body: await res.json() }
  }
}

beforeAll(async () => {
  sandbox = await startSandbox({ seed })
  client = createPerkvilleClient({ baseUrl: sandbox.url, token: 'full-token' })
})
afterAll(async () => {
  await client.close()
  await sandbox.close()
})

const settings = (over: Partial<Settings> = {}): Settings => ({ ...conformance, ...over })

describe('checkSettings', () => {
  it('passes every item of the conformance settings, with any transport', async () => {
    for (const get of [client.getJson, fetchGet('full-token')]) {
      const items = await checkSettings(settings(), sandbox.url, get)
      expect(items.map((i) => i.item)).toEqual([
        'token',
        'scope ADMIN_CUSTOMER_INFO',
        'business 1001',
        'location 2001',
        'perk 3002 ("Order Completed", "Order Refunded")',
        'perk 3001 ("Checked In")',
        'perk 3003 ("Referral Sent")',
      ])
      expect(items.every((i) => i.ok)).toBe(true)
    }
  })

  it('follows pagination to find a location and perks beyond the first page', async () => {
    const items = await checkSettings(
      settings({ locationId: '2025', eventToPerkMap: { Late: '3045', Early: '3001' } }),
      sandbox.url,
      client.getJson,
    )
    expect(items.map((i) => [i.item, i.ok])).toEqual([
      ['token', true],
      ['scope ADMIN_CUSTOMER_INFO', true],
      ['business 1001', true],
      ['location 2025', true],
      ['perk 3045 ("Late")', true],
      ['perk 3001 ("Early")', true],
    ])
    expect(items[5]?.message).toContain('Perk 0')
  })

  it('says a rejected token was rejected and what to do', async () => {
    const items = await checkSettings(settings(), sandbox.url, fetchGet('wrong-token'))
    expect(items[0]).toMatchObject({ item: 'token', ok: false })
    expect(items[0]?.message).toContain('token rejected')
    expect(items[0]?.action).toBe(
      'make a new token in Perkville > Settings > Apps > Connect Segment and update apiKey',
    )
    expect(items.slice(1).every((i) => !i.ok && i.message.startsWith('not checked'))).toBe(true)
  })

  it('says a token of another account (403) was rejected', async () => {
    const items = await checkSettings(settings(), sandbox.url, fetchGet('other-account-token'))
    expect(items[0]).toMatchObject({ item: 'token', ok: false })
    expect(items[0]?.message).toMatch(/token rejected.*HTTP 403/)
  })

  it('names an unknown business, location and perk', async () => {
    const noBusiness = await checkSettings(settings({ businessId: '77' }), sandbox.url, client.getJson)
    expect(noBusiness[1]).toMatchObject({ item: 'business 77', ok: false })
    expect(noBusiness[1]?.action).toContain('businessId')

    const items = await checkSettings(
      settings({ locationId: '9999', eventToPerkMap: { 'Checked In': '3001', Mystery: '8888' } }),
      sandbox.url,
      client.getJson,
    )
    expect(items.find((i) => i.item === 'location 9999')).toMatchObject({ ok: false })
    const perk = items.find((i) => i.item.startsWith('perk 8888'))
    expect(perk).toMatchObject({ ok: false, item: 'perk 8888 ("Mystery")' })
    expect(perk?.action).toContain('"Mystery"')
    expect(items.find((i) => i.item.startsWith('perk 3001'))?.ok).toBe(true)
  })

  it('skips perks on request, and has no perk items for an empty map', async () => {
    expect((await checkSettings(settings(), sandbox.url, client.getJson, { perks: false })).length).toBe(4)
    expect((await checkSettings(settings({ eventToPerkMap: {} }), sandbox.url, client.getJson)).length).toBe(
      4,
    )
  })

  it('reports Perkville being down or unreachable without throwing', async () => {
    sandbox.setFaults({ outage: true })
    try {
      const items = await checkSettings(settings(), sandbox.url, client.getJson)
      expect(items[0]).toMatchObject({ item: 'token', ok: false })
      expect(items[0]?.message).toContain('HTTP 503')
      expect(items[0]?.action).toContain('try again later')
    } finally {
      sandbox.setFaults({})
    }
    const gone = await startSandbox()
    await gone.close()
    const unreachable = createPerkvilleClient({ baseUrl: gone.url, token: 'full-token' })
    try {
      const items = await checkSettings(settings(), gone.url, unreachable.getJson)
      expect(items[0]?.message).toMatch(/could not reach Perkville: .*ECONNREFUSED/)
      expect(items.every((i) => !i.ok)).toBe(true)
    } finally {
      await unreachable.close()
    }
  })

  it('a failing list page is reported on the items it would have checked', async () => {
    sandbox.setFaults({ errorRate: 1, errorStatus: 502, paths: ['/v2/perks/'] })
    const items = await checkSettings(settings(), sandbox.url, client.getJson).finally(() =>
      sandbox.setFaults({}),
    )
    const perks = items.filter((i) => i.item.startsWith('perk'))
    expect(perks.length).toBe(3)
    expect(perks.every((i) => !i.ok && i.message.includes('HTTP 502'))).toBe(true)
    expect(items.find((i) => i.item === 'location 2001')?.ok).toBe(true)
  })
})
