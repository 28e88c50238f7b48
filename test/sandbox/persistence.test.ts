import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createPerkvilleClient } from '../../src/perkville/client.js'
import { type SandboxSeed, startSandbox } from '../../src/sandbox/index.js'

const dirs: string[] = []
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pv-sandbox-'))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const tx = {
  perkId: '3001',
  email: 'kim@example.com',
  businessId: '1001',
  locationId: '2001',
  sendEmail: false,
  quantity: 1,
  kind: 'event' as const,
  orderId: null,
  messageId: 'm1',
  timestamp: null,
}

describe('persistence', () => {
  it('keeps transactions, balances and external ids across a restart on the same data dir', async () => {
    const dataDir = tempDir()
    const first = await startSandbox({ dataDir })
    const c1 = createPerkvilleClient({ baseUrl: first.url, token: first.token })
    expect((await c1.postTransaction(tx, 'persist-1')).result.class).toBe('delivered')
    expect((await c1.postTransaction(tx, 'persist-2')).result.class).toBe('delivered')
    await c1.close()
    await first.close()
    expect(existsSync(join(dataDir, 'sandbox.sqlite'))).toBe(true)

    const second = await startSandbox({ dataDir })
    const c2 = createPerkvilleClient({ baseUrl: second.url, token: second.token })
    try {
      expect(second.transactions().map((t) => t.trans_source_id)).toEqual(['persist-1', 'persist-2'])
      expect((await c2.findTransaction('1001', 'persist-2'))?.points).toBe(10)
      expect((await c2.postTransaction(tx, 'persist-1')).result.class).toBe('already_delivered')
      const res = await fetch(`${second.url}connections/?business=1001`, {
        headers: { authorization: `Bearer ${second.token}` },
      })
      const body = (await res.json()) as { objects: { point_balance: number }[] }
      expect(body.objects[0]?.point_balance).toBe(20)
      // New ids continue after the stored ones.
      const third = await c2.postTransaction(tx, 'persist-3')
      expect(third.result).toMatchObject({ class: 'delivered', transactionId: '3' })
    } finally {
      await c2.close()
      await second.close()
    }
  })

  it('keeps stored data over a different seed until reset, which loads the new seed', async () => {
    const dataDir = tempDir()
    const first = await startSandbox({ dataDir })
    await first.close()
    const seed: SandboxSeed = {
      businesses: [{ id: 5, name: 'Five', locations: [{ id: 6, name: 'Six' }], perks: [] }],
    }
    const second = await startSandbox({ dataDir, seed })
    try {
      const h = { authorization: `Bearer ${second.token}` }
      expect((await fetch(`${second.url}businesses/1001/`, { headers: h })).status).toBe(200)
      second.reset()
      expect((await fetch(`${second.url}businesses/1001/`, { headers: h })).status).toBe(404)
      expect((await fetch(`${second.url}businesses/5/`, { headers: h })).status).toBe(200)
    } finally {
      await second.close()
    }
  })

  it('memory sandboxes share nothing', async () => {
    const a = await startSandbox()
    const b = await startSandbox({ memory: true })
    try {
      const c = createPerkvilleClient({ baseUrl: a.url, token: a.token })
      await c.postTransaction(tx, 'only-in-a')
      await c.close()
      expect(a.transactions()).toHaveLength(1)
      expect(b.transactions()).toHaveLength(0)
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('refuses dataDir together with memory, and close is idempotent', async () => {
    await expect(startSandbox({ dataDir: tempDir(), memory: true })).rejects.toThrow(/not both/)
    const s = await startSandbox()
    await s.close()
    await s.close()
  })

  it('close ends hung requests', async () => {
    const s = await startSandbox({ faults: { hangRate: 1 } })
    const pending = fetch(`${s.url}businesses/1001/`).then(
      () => 'answered',
      () => 'cut',
    )
    // Close only once the request is held open by the server.
    while (
      ((await (await fetch(`${s.origin}/_sandbox/stats`)).json()) as { hungOpen: number }).hungOpen < 1
    ) {
      await new Promise((r) => setTimeout(r, 10))
    }
    await s.close()
    expect(await pending).toBe('cut')
  })
})
