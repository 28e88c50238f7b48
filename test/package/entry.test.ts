import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../', import.meta.url))
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { main: string; types: string }

describe('the package entry (built)', () => {
  it('main and types point at files the build makes', () => {
    expect(existsSync(`${root}${pkg.main}`), pkg.main).toBe(true)
    expect(existsSync(`${root}${pkg.types}`), pkg.types).toBe(true)
  })

  it('exports the core, the client, the sandbox and the service, and they work', async () => {
    const api = await import(`${root}${pkg.main}`)
    for (const name of [
      'decide',
      'parseSettings',
      'planLine',
      'transactionExternalId',
      'SKIP_CODES',
      'isSkipCode',
      'createPerkvilleClient',
      'checkSettings',
      'startSandbox',
      'createDeliveryService',
      'startService',
    ]) {
      expect(typeof api[name], name).not.toBe('undefined')
    }
    const settings = api.parseSettings({
      apiKey: 'k',
      businessId: 1,
      locationId: 2,
      audienceToPerkMap: { vip: 3 },
    })
    const outcome = api.decide(settings, { type: 'identify', traits: { email: 'a@b.co', vip: true } })
    expect(outcome).toMatchObject({ status: 'send', transaction: { kind: 'audience', perkId: '3' } })
    const sandbox = await api.startSandbox({ memory: true })
    try {
      const client = api.createPerkvilleClient({ baseUrl: sandbox.url, token: 'sandbox-token' })
      try {
        const items = await api.checkSettings(
          api.parseSettings({ apiKey: 'sandbox-token', businessId: 1001, locationId: 2001 }),
          sandbox.url,
          client.getJson,
        )
        expect(items.every((i: { ok: boolean }) => i.ok)).toBe(true)
      } finally {
        await client.close()
      }
    } finally {
      await sandbox.close()
    }
  })
})
