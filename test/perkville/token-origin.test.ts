import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPerkvilleClient, type PerkvilleHttpClient } from '../../src/perkville/client.js'
import { PerkvilleApiError } from '../../src/perkville/client-api.js'
import { checkSettings } from '../../src/perkville/settings-check.js'

const TOKEN = 'origin-test-token-0123'

/** A real server on another origin that records every request it gets and its headers. */
let other: Server
let otherOrigin: string
const seenByOther: IncomingHttpHeaders[] = []
/** A stand-in Perkville whose lists point `meta.next` at the other origin. */
let perkville: Server
let client: PerkvilleHttpClient

const listen = async (server: Server) => {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}
const json = (res: import('node:http').ServerResponse, body: unknown) => {
  res.setHeader('content-type', 'application/json')
  res.end(JSON.stringify(body))
}

beforeAll(async () => {
  other = createServer((req, res) => {
    seenByOther.push(req.headers)
    json(res, { meta: { next: null }, objects: [] })
  })
  otherOrigin = await listen(other)
  perkville = createServer((req, res) => {
    const page = (next: string) => ({
      meta: { limit: 1, next, offset: 0, previous: `${otherOrigin}/v2/perks/?offset=0`, total_count: 2 },
      objects: [{ id: 3001, title: 'Check-in', resource_uri: `${otherOrigin}/v2/perks/3001/` }],
    })
    if (req.url?.startsWith('/v2/businesses/')) return json(res, { id: 1001, name: 'B' })
    if (req.url?.startsWith('/v2/locations/')) return json(res, page(`${otherOrigin}/v2/locations/?offset=1`))
    return json(res, page(`${otherOrigin}/v2/perks/?business=1001&offset=1`))
  })
  const origin = await listen(perkville)
  client = createPerkvilleClient({ baseUrl: `${origin}/v2/`, token: TOKEN })
})
afterAll(async () => {
  await client.close()
  for (const s of [other, perkville]) {
    s.closeAllConnections()
    await new Promise((done) => s.close(done))
  }
})

describe('the token goes only to the configured Perkville origin', () => {
  it('a meta.next on another origin is refused with a clear error, never followed', async () => {
    const err = await client.listPerks('1001').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PerkvilleApiError)
    expect((err as Error).message).toContain(`meta.next is a URL on ${otherOrigin}`)
    expect((err as Error).message).toContain('the token is sent only to Perkville')
    expect((err as Error).message).not.toContain(TOKEN)
    expect(seenByOther).toEqual([])
  })

  it('a resource URI or any other URL on another origin is refused by the raw calls too', async () => {
    await expect(client.getJson(`${otherOrigin}/v2/perks/3001/`)).rejects.toThrow(
      /refused, the token is sent only/,
    )
    await expect(client.postJson(`${otherOrigin}/v2/transactions/`, {})).rejects.toThrow(
      /not on the configured/,
    )
    expect(seenByOther).toEqual([])
  })

  it('the settings check reports the foreign link and sends nothing there', async () => {
    const items = await checkSettings(
      { businessId: '1001', locationId: '2001', eventToPerkMap: { 'Checked In': '3001' } },
      client.baseUrl,
      client.getJson,
    )
    const location = items.find((i) => i.item === 'location 2001')
    expect(location?.ok).toBe(false)
    expect(location?.message).toContain(`meta.next is a URL on ${otherOrigin}`)
    expect(seenByOther.filter((h) => h.authorization !== undefined)).toEqual([])
    expect(seenByOther).toEqual([])
  })
})
