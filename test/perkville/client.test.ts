import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Transaction } from '../../src/core/types.js'
import { createPerkvilleClient, type PerkvilleHttpClient } from '../../src/perkville/client.js'
import { PerkvilleApiError } from '../../src/perkville/client-api.js'
import {
  DEFAULT_READONLY_TOKEN,
  type RunningSandbox,
  type SandboxSeed,
  startSandbox,
} from '../../src/sandbox/index.js'
import { PACKAGE_NAME, VERSION } from '../../src/version.js'

const TOKEN = 'client-test-token-0123456789'

function tx(over: Partial<Transaction> = {}): Transaction {
  return {
    perkId: '3002',
    email: 'ann@example.com',
    businessId: '1001',
    locationId: '2001',
    sendEmail: false,
    quantity: 9.99,
    kind: 'spend',
    orderId: 'o1',
    messageId: 'm1',
    timestamp: '2026-11-23T10:00:00Z',
    ...over,
  }
}

let sandbox: RunningSandbox
let client: PerkvilleHttpClient
const clients: PerkvilleHttpClient[] = []

function extraClient(
  opts: { token?: string; timeoutMs?: number; baseUrl?: string } = {},
): PerkvilleHttpClient {
  const c = createPerkvilleClient({
    baseUrl: opts.baseUrl ?? sandbox.url,
    token: opts.token ?? TOKEN,
    ...opts,
  })
  clients.push(c)
  return c
}

beforeAll(async () => {
  sandbox = await startSandbox({ token: TOKEN })
  client = createPerkvilleClient({ baseUrl: sandbox.url, token: TOKEN })
})
afterAll(async () => {
  await Promise.all([client.close(), ...clients.map((c) => c.close())])
  await sandbox.close()
})
beforeEach(() => {
  sandbox.setFaults({})
  sandbox.setBehaviour({})
  sandbox.reset()
})

describe('postTransaction', () => {
  it('delivers, with the token redacted in the recorded request and the project named in User-Agent', async () => {
    const attempt = await client.postTransaction(tx(), 'evt-1')
    expect(attempt.result).toEqual({ class: 'delivered', status: 201, transactionId: '1', points: 9 })
    expect(attempt.request.headers.authorization).toBe('Bearer [redacted]')
    expect(attempt.request.headers['user-agent']).toContain(`${PACKAGE_NAME}/${VERSION}`)
    expect(attempt.request.body).toMatchObject({
      business: 1001,
      perk: 3002,
      trans_source_id: 'evt-1',
      quantity: 9.99,
    })
    expect(attempt.response?.status).toBe(201)
    expect(JSON.stringify(attempt)).not.toContain(TOKEN)
    const stored = sandbox.transactions()
    expect(stored).toHaveLength(1)
    expect(stored[0]).toMatchObject({
      trans_source_id: 'evt-1',
      points: 9,
      transaction_dt: '2026-11-23T10:00:00Z',
    })
  })

  it('treats a reused trans_source_id (409) as already delivered, pointing at the first transaction', async () => {
    const first = await client.postTransaction(tx(), 'evt-dup')
    const second = await client.postTransaction(tx(), 'evt-dup')
    expect(first.result.class).toBe('delivered')
    expect(second.result).toEqual({
      class: 'already_delivered',
      status: 409,
      resourceUri: '/v2/transactions/1/',
    })
    expect(sandbox.transactions()).toHaveLength(1)
  })

  it.each([
    ['409', 409],
    ['400', 400],
    ['existing', 200],
  ] as const)(
    'counts a reused trans_source_id as delivered when Perkville answers it %s',
    async (answer, status) => {
      sandbox.setBehaviour({ duplicateAnswer: answer })
      const first = await client.postTransaction(tx(), 'evt-dup')
      const second = await client.postTransaction(tx({ quantity: 50 }), 'evt-dup')
      expect(first.result.class).toBe('delivered')
      expect(second.response?.status).toBe(status)
      expect(['delivered', 'already_delivered']).toContain(second.result.class)
      expect(sandbox.transactions()).toHaveLength(1)
    },
  )

  it('sends the event id as trans_source_id and no external_id', async () => {
    const attempt = await client.postTransaction(tx(), 'evt-key')
    expect(attempt.request.body).toMatchObject({ trans_source_id: 'evt-key' })
    expect(Object.keys(attempt.request.body)).not.toContain('external_id')
    expect(sandbox.transactions()[0]).toMatchObject({ trans_source_id: 'evt-key' })
  })

  it('keeps Perkville’s message on a 400', async () => {
    const attempt = await client.postTransaction(tx({ email: 'not-an-email' }), 'evt-400')
    expect(attempt.result.class).toBe('permanent')
    expect(attempt.result).toMatchObject({ status: 400 })
    expect((attempt.result as { message: string }).message).toContain('email: enter a valid email address')
    expect(sandbox.transactions()).toHaveLength(0)
  })

  it('is permanent on an unknown perk (404), naming the perk', async () => {
    const attempt = await client.postTransaction(tx({ perkId: '9999' }), 'evt-404')
    expect(attempt.result).toMatchObject({ class: 'permanent', status: 404 })
    expect((attempt.result as { message: string }).message).toContain('perk 9999')
  })

  it('reports rejected credentials on 401 without showing the token', async () => {
    const bad = extraClient({ token: 'wrong-token-abcdef' })
    const attempt = await bad.postTransaction(tx(), 'evt-401')
    expect(attempt.result).toMatchObject({ class: 'credentials', status: 401 })
    expect(JSON.stringify(attempt)).not.toContain('wrong-token-abcdef')
  })

  it('reports rejected credentials on 403 (token lacking the grant scope)', async () => {
    const readonly = extraClient({ token: DEFAULT_READONLY_TOKEN })
    const attempt = await readonly.postTransaction(tx(), 'evt-403')
    expect(attempt.result).toMatchObject({ class: 'credentials', status: 403 })
    expect((attempt.result as { message: string }).message).toContain('ADMIN_CUSTOMER_GRANT_POINTS')
    expect(sandbox.transactions()).toHaveLength(0)
  })

  it('is temporary on 429, with Retry-After in seconds', async () => {
    sandbox.setFaults({ rateLimitRate: 1, retryAfter: 7 })
    const attempt = await client.postTransaction(tx(), 'evt-429')
    expect(attempt.result).toMatchObject({ class: 'temporary', status: 429, retryAfterMs: 7000 })
    expect(attempt.response?.headers['retry-after']).toBe('7')
    expect(sandbox.transactions()).toHaveLength(0)
  })

  it('is temporary on 429, with Retry-After as an HTTP date', async () => {
    sandbox.setFaults({ rateLimitRate: 1, retryAfter: 120, retryAfterFormat: 'date' })
    const attempt = await client.postTransaction(tx(), 'evt-429d')
    expect(attempt.result).toMatchObject({ class: 'temporary', status: 429 })
    expect(attempt.response?.headers['retry-after']).toMatch(/GMT$/)
    const ms = (attempt.result as { retryAfterMs: number | null }).retryAfterMs
    // The date has whole seconds, so up to one second is lost; the header is not "seconds".
    expect(ms).toBeGreaterThan(60_000)
    expect(ms).toBeLessThanOrEqual(120_000)
  })

  it('is temporary on 5xx and during an outage, and nothing is recorded', async () => {
    sandbox.setFaults({ errorRate: 1, errorStatus: 502 })
    const a = await client.postTransaction(tx(), 'evt-502')
    expect(a.result).toMatchObject({ class: 'temporary', status: 502, retryAfterMs: null })
    sandbox.setFaults({ outage: true })
    const b = await client.postTransaction(tx(), 'evt-503')
    expect(b.result).toMatchObject({ class: 'temporary', status: 503 })
    expect(sandbox.transactions()).toHaveLength(0)
  })

  it('commit then 500: temporary, and the lookup by trans_source_id finds the transaction', async () => {
    sandbox.setFaults({ commitThenFailRate: 1, commitThenFailMode: 'error' })
    const attempt = await client.postTransaction(tx(), 'evt-ctf-500')
    expect(attempt.result).toMatchObject({ class: 'temporary', status: 500 })
    sandbox.setFaults({})
    const found = await client.findTransaction('1001', 'evt-ctf-500')
    expect(found).toMatchObject({ trans_source_id: 'evt-ctf-500', points: 9, business: 1001 })
    const retry = await client.postTransaction(tx(), 'evt-ctf-500')
    expect(retry.result.class).toBe('already_delivered')
    expect(sandbox.transactions()).toHaveLength(1)
  })

  it('commit then cut connection: temporary with no answer, and the lookup finds the transaction', async () => {
    sandbox.setFaults({ commitThenFailRate: 1, commitThenFailMode: 'disconnect' })
    const attempt = await client.postTransaction(tx(), 'evt-ctf-cut')
    expect(attempt.result).toMatchObject({ class: 'temporary', status: null })
    expect((attempt.result as { message: string }).message).toMatch(/^connection error/)
    expect(attempt.response).toBeNull()
    // The faults stay on: a lookup is a GET, and commit-then-fail only touches transaction POSTs.
    const found = await client.findTransaction('1001', 'evt-ctf-cut')
    expect(found?.trans_source_id).toBe('evt-ctf-cut')
    // The pool recovered from the cut socket.
    sandbox.setFaults({})
    expect((await client.postTransaction(tx(), 'evt-after-cut')).result.class).toBe('delivered')
  })

  it('a hung request (never recorded) times out, and the lookup truthfully finds nothing', async () => {
    const quick = extraClient({ timeoutMs: 300 })
    sandbox.setFaults({ hangRate: 1, scope: 'writes' })
    const attempt = await quick.postTransaction(tx(), 'evt-hang')
    expect(attempt.result).toEqual({
      class: 'temporary',
      status: null,
      message: 'timeout after 300 ms',
      retryAfterMs: null,
    })
    expect(await client.findTransaction('1001', 'evt-hang')).toBeNull()
    expect(sandbox.transactions()).toHaveLength(0)
  })

  it('a request recorded and then hung times out, and the lookup finds it', async () => {
    const quick = extraClient({ timeoutMs: 300 })
    sandbox.setFaults({ commitThenFailRate: 1, commitThenFailMode: 'hang' })
    const attempt = await quick.postTransaction(tx(), 'evt-ctf-hang')
    expect(attempt.result).toMatchObject({
      class: 'temporary',
      status: null,
      message: 'timeout after 300 ms',
    })
    expect((await client.findTransaction('1001', 'evt-ctf-hang'))?.points).toBe(9)
  })

  it('a slow request the caller gave up on is still recorded later (why settling must allow for it)', async () => {
    const quick = extraClient({ timeoutMs: 100 })
    sandbox.setFaults({ latencyMs: 400, scope: 'writes' })
    const attempt = await quick.postTransaction(tx(), 'evt-late')
    expect(attempt.result).toMatchObject({ class: 'temporary', message: 'timeout after 100 ms' })
    while (sandbox.transactions().length === 0) await new Promise((r) => setTimeout(r, 20))
    expect((await client.findTransaction('1001', 'evt-late'))?.trans_source_id).toBe('evt-late')
  })

  it('is temporary on a refused connection', async () => {
    const gone = await startSandbox()
    const url = gone.url
    await gone.close()
    const c = extraClient({ baseUrl: url })
    const attempt = await c.postTransaction(tx(), 'evt-refused')
    expect(attempt.result).toMatchObject({ class: 'temporary', status: null })
    expect((attempt.result as { message: string }).message).toContain('ECONNREFUSED')
  })
})

describe('read calls', () => {
  it('reads the business, its locations and perks', async () => {
    expect(await client.getBusiness('1001')).toMatchObject({ id: 1001, name: 'Sandbox Fitness' })
    expect((await client.listLocations('1001')).map((l) => l.id)).toEqual([2001])
    expect((await client.listPerks('1001')).map((p) => p.title)).toEqual(['Check-in', 'Spend', 'Referral'])
  })

  it('findTransaction answers null for an unknown id and ignores other businesses’ ids', async () => {
    await client.postTransaction(tx(), 'evt-known')
    expect(await client.findTransaction('1001', 'evt-unknown')).toBeNull()
    expect(await client.findTransaction('1002', 'evt-known')).toBeNull()
  })

  it('findTransaction throws a permanent error when Perkville refuses the trans_source_id filter', async () => {
    sandbox.setBehaviour({ lookupFilter: false })
    const refused = await client.findTransaction('1001', 'evt-x').catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(PerkvilleApiError)
    expect(refused).toMatchObject({ kind: 'permanent', status: 400 })
    expect((refused as Error).message).toContain("The 'trans_source_id' field does not allow filtering.")
  })

  it('findTransaction throws a permanent error when the answer shows the filter was ignored', async () => {
    // A real server that ignores the filter and lists every transaction of the business.
    const server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json')
      res.end(
        JSON.stringify({
          meta: { limit: 20, next: null, offset: 0, previous: null, total_count: 1 },
          objects: [{ id: 1, trans_source_id: 'someone-else', resource_uri: '/v2/transactions/1/' }],
        }),
      )
    })
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
    try {
      const { port } = server.address() as AddressInfo
      const ignoring = extraClient({ baseUrl: `http://127.0.0.1:${port}/v2/` })
      const err = await ignoring.findTransaction('1001', 'evt-x').catch((e: unknown) => e)
      expect(err).toMatchObject({ kind: 'permanent', status: 200 })
      expect((err as Error).message).toContain('ignored the trans_source_id filter')
    } finally {
      server.closeAllConnections()
      await new Promise((done) => server.close(done))
    }
  })

  it('throws PerkvilleApiError with the answer class, never the token', async () => {
    const e404 = await client.getBusiness('4242').catch((e: unknown) => e)
    expect(e404).toBeInstanceOf(PerkvilleApiError)
    expect(e404).toMatchObject({ kind: 'permanent', status: 404 })
    const bad = extraClient({ token: 'bad-token-zyxwvu' })
    const e401 = await bad.listPerks('1001').catch((e: unknown) => e)
    expect(e401).toMatchObject({ kind: 'credentials', status: 401 })
    expect(String((e401 as Error).message)).not.toContain('bad-token-zyxwvu')
    sandbox.setFaults({ outage: true })
    const e503 = await client.findTransaction('1001', 'x').catch((e: unknown) => e)
    expect(e503).toMatchObject({ kind: 'temporary', status: 503 })
    const quick = extraClient({ timeoutMs: 200 })
    sandbox.setFaults({ hangRate: 1 })
    const eTimeout = await quick.getBusiness('1001').catch((e: unknown) => e)
    expect(eTimeout).toMatchObject({ kind: 'temporary', status: null })
    expect((eTimeout as Error).message).toContain('timeout after 200 ms')
  })

  it('follows pagination for locations and perks', async () => {
    const seed: SandboxSeed = {
      businesses: [
        {
          id: 7,
          name: 'Big Gym',
          locations: Array.from({ length: 45 }, (_, i) => ({ id: 100 + i, name: `Location ${i}` })),
          perks: Array.from({ length: 61 }, (_, i) => ({
            id: 1000 + i,
            title: `Perk ${i}`,
            kind: 'visit' as const,
            pointsPerUnit: i,
          })),
        },
      ],
    }
    const big = await startSandbox({ seed, token: TOKEN })
    const c = createPerkvilleClient({ baseUrl: big.url, token: TOKEN })
    try {
      const locations = await c.listLocations('7')
      expect(locations.map((l) => l.id)).toEqual(Array.from({ length: 45 }, (_, i) => 100 + i))
      const perks = await c.listPerks('7')
      expect(perks.map((p) => p.id)).toEqual(Array.from({ length: 61 }, (_, i) => 1000 + i))
    } finally {
      await c.close()
      await big.close()
    }
  })
})

describe('options', () => {
  it('rejects a bad base URL or timeout at creation', () => {
    expect(() => createPerkvilleClient({ token: 't', baseUrl: 'not a url' })).toThrow()
    expect(() => createPerkvilleClient({ token: 't', timeoutMs: 0 })).toThrow(RangeError)
    const bad = (() => {
      try {
        createPerkvilleClient({ token: 'sec ret\nline' })
      } catch (e) {
        return e
      }
    })()
    expect(bad).toMatchObject({ name: 'PerkvilleApiError', kind: 'credentials' })
    expect(String((bad as Error).message)).not.toContain('sec ret')
  })

  it('trims whitespace around the token', async () => {
    const c = extraClient({ token: `  ${TOKEN}\n` })
    expect((await c.postTransaction(tx(), 'evt-trim')).result.class).toBe('delivered')
  })

  it('defaults to the real Perkville base URL', async () => {
    const c = createPerkvilleClient({ token: 't' })
    expect(c.baseUrl).toBe('https://api.perkville.com/v2/')
    await c.close()
  })
})
