import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FaultInjector, parseFaults, seededRandom } from '../../src/sandbox/faults.js'
import { DEFAULT_SEED, loadSeedFile, parseSeed, SeedError, startSandbox } from '../../src/sandbox/index.js'
import { pointsFor } from '../../src/sandbox/points.js'

describe('points rule', () => {
  it('visit perks count whole units; spend perks count cents; both truncate toward zero', () => {
    const visit = { kind: 'visit' as const, pointsPerUnit: 10 }
    const spend = { kind: 'spend' as const, pointsPerUnit: 1 }
    expect(pointsFor(visit, 1)).toBe(10)
    expect(pointsFor(visit, 3.99)).toBe(30)
    expect(pointsFor(visit, -2)).toBe(-20)
    expect(pointsFor(visit, 0.5)).toBe(0)
    expect(pointsFor(spend, 9.99)).toBe(9)
    expect(pointsFor(spend, -9.99)).toBe(-9)
    expect(pointsFor(spend, 0.29 * 100)).toBe(29)
    // 1.1 × 3 is 3.3000000000000003 in binary; cents keep it exact.
    expect(pointsFor({ kind: 'spend', pointsPerUnit: 3 }, 1.1)).toBe(3)
    expect(pointsFor({ kind: 'spend', pointsPerUnit: 0.1 }, 30)).toBe(3)
  })

  it('an award and its refund always sum to zero', () => {
    for (let cents = 1; cents < 5000; cents += 37) {
      const q = cents / 100
      for (const rule of [
        { kind: 'spend' as const, pointsPerUnit: 1 },
        { kind: 'spend' as const, pointsPerUnit: 2.5 },
        { kind: 'visit' as const, pointsPerUnit: 7 },
      ]) {
        expect(pointsFor(rule, q) + pointsFor(rule, -q)).toBe(0)
      }
    }
  })
})

describe('seed', () => {
  it('the default seed is valid and has the documented data', () => {
    const seed = parseSeed(DEFAULT_SEED)
    expect(seed.businesses[0]).toMatchObject({ id: 1001, name: 'Sandbox Fitness' })
    expect(seed.businesses[0]?.perks.map((p) => [p.id, p.title, p.pointsPerUnit])).toEqual([
      [3001, 'Check-in', 10],
      [3002, 'Spend', 1],
      [3003, 'Referral', 50],
    ])
  })

  it('rejects bad seeds with the path of each problem', () => {
    expect(() => parseSeed({ businesses: [{ id: -1, name: 'x' }] })).toThrow(/businesses\.0\.id/)
    expect(() =>
      parseSeed({
        businesses: [{ id: 1, name: 'x', perks: [{ id: 2, title: 't', kind: 'bogus', pointsPerUnit: 1 }] }],
      }),
    ).toThrow(/businesses\.0\.perks\.0\.kind/)
    expect(() =>
      parseSeed({
        businesses: [
          { id: 1, name: 'a', locations: [{ id: 9, name: 'x' }] },
          { id: 2, name: 'b', locations: [{ id: 9, name: 'y' }] },
        ],
      }),
    ).toThrow(/locations: id 9 is used twice/)
    expect(() => parseSeed({ businesses: [], extra: 1 })).toThrow(SeedError)
  })

  it('loads a seed file and reports unreadable or invalid files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pv-seed-'))
    const good = join(dir, 'good.json')
    writeFileSync(good, JSON.stringify({ tokens: [{ token: 'tk' }], businesses: [{ id: 3, name: 'Three' }] }))
    expect(loadSeedFile(good).tokens?.[0]?.scopes).toContain('ADMIN_CUSTOMER_GRANT_POINTS')
    const bad = join(dir, 'bad.json')
    writeFileSync(bad, '{nope')
    expect(() => loadSeedFile(bad)).toThrow(/not valid JSON/)
    expect(() => loadSeedFile(join(dir, 'missing.json'))).toThrow(/ENOENT/)
  })

  it('a seed’s tokens replace the default ones', async () => {
    const s = await startSandbox({
      seed: {
        tokens: [{ token: 'seeded-token', scopes: ['PUBLIC'] }, { token: 'full' }],
        businesses: [{ id: 1, name: 'One' }],
      },
    })
    try {
      expect(s.token).toBe('full')
      const get = (token: string) =>
        fetch(`${s.url}businesses/1/`, { headers: { authorization: `Bearer ${token}` } })
      expect((await get('seeded-token')).status).toBe(200)
      expect((await get('sandbox-token')).status).toBe(401)
    } finally {
      await s.close()
    }
  })
})

describe('fault injector', () => {
  it('rates of 0 and 1 are exact and do not draw', () => {
    let draws = 0
    const f = new FaultInjector({ errorRate: 1 }, () => {
      draws++
      return 0.99
    })
    expect(f.before(false, '/v2/perks/')).toEqual({ kind: 'error', status: 500 })
    f.set({ errorRate: 0, hangRate: 0, rateLimitRate: 0 })
    expect(f.before(true, '/v2/transactions/')).toEqual({ kind: 'pass' })
    expect(f.afterCommit()).toBe('none')
    expect(draws).toBe(0)
  })

  it('uses the injected randomness, and jitter stays within its bound', () => {
    const values = [0.1, 0.9]
    let i = 0
    const f = new FaultInjector(
      { errorRate: 0.5, latencyMs: 10, latencyJitterMs: 100 },
      () => values[i++ % 2] ?? 0,
    )
    expect(f.before(false, '/v2/perks/').kind).toBe('error')
    expect(f.before(false, '/v2/perks/').kind).toBe('pass')
    expect(f.latencyMs(false, '/v2/perks/')).toBe(10 + 10)
    expect(f.latencyMs(false, '/v2/perks/')).toBe(10 + 90)
  })

  it('outage wins over the rest; writes scope spares reads', () => {
    const f = new FaultInjector({ outage: true, errorRate: 1, scope: 'writes' })
    expect(f.before(true, '/v2/transactions/')).toEqual({ kind: 'outage' })
    expect(f.before(false, '/v2/perks/')).toEqual({ kind: 'pass' })
  })

  it('sends Retry-After as seconds or as an HTTP date from now', () => {
    const now = Date.parse('2026-11-23T10:00:00Z')
    const f = new FaultInjector(
      { rateLimitRate: 1, retryAfter: 30, retryAfterFormat: 'date' },
      Math.random,
      () => now,
    )
    expect(f.before(false, '/v2/perks/')).toEqual({
      kind: 'rate_limit',
      retryAfter: 'Mon, 23 Nov 2026 10:00:30 GMT',
    })
    f.set({ rateLimitRate: 1, retryAfter: 30 })
    expect(f.before(false, '/v2/perks/')).toEqual({ kind: 'rate_limit', retryAfter: '30' })
  })

  it('paths limit the faults to some routes', () => {
    const f = new FaultInjector({ errorRate: 1, paths: ['/v2/perks/'] })
    expect(f.before(false, '/v2/perks/')).toEqual({ kind: 'error', status: 500 })
    expect(f.before(false, '/v2/locations/')).toEqual({ kind: 'pass' })
    expect(() => parseFaults({ paths: ['/_sandbox/'] })).toThrow(/paths/)
  })

  it('seededRandom is deterministic and in [0, 1)', () => {
    const a = seededRandom(7)
    const b = seededRandom(7)
    for (let k = 0; k < 1000; k++) {
      const x = a()
      expect(x).toBe(b())
      expect(x).toBeGreaterThanOrEqual(0)
      expect(x).toBeLessThan(1)
    }
  })

  it('parseFaults rejects out-of-range values', () => {
    expect(() => parseFaults({ hangRate: -0.1 })).toThrow(/hangRate/)
    expect(() => parseFaults({ errorStatus: 404 })).toThrow(/errorStatus/)
    expect(() => parseFaults({ commitThenFailMode: 'explode' })).toThrow(/commitThenFailMode/)
    expect(parseFaults({})).toEqual({})
  })
})
