import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPerkvilleClient } from '../../src/perkville/client.js'
import {
  dropSchema,
  queryIn,
  randomSchema,
  requirePostgres,
  TEST_DATABASE_URL,
} from '../postgres/pg-harness.js'
import { eventually } from '../service/helpers.js'
import { openTestService, settingsFor, track } from './harness.js'

// Issue 22 item 2: a Perkville answering 503 with a 4 MB body made every attempt store the body twice
// (395 MB in a minute, 142 MB in one event's detail). A real HTTP server plays that Perkville; the
// body is random text, so PostgreSQL's compression cannot hide what is stored.
const BODY = randomBytes(3 * 1024 * 1024).toString('base64') // 4 MB
const TOKEN = 'large-answers-token-0123456789'
let server: Server
let url: string

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(503, { 'content-type': 'text/plain', 'content-length': String(BODY.length) })
    res.end(BODY)
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((done) => server.close(done))
})

const ATTEMPTS = 3

interface Store {
  databaseUrl?: string
  databaseSchema?: string
  /** The store's size in bytes. */
  size: (dataDir: string) => Promise<number>
}

/** Delivers one event against the 503 server until it has ATTEMPTS attempts; what the store kept. */
async function runOn(store: Store) {
  const dataDir = mkdtempSync(join(tmpdir(), 'large-answers-'))
  const client = createPerkvilleClient({ baseUrl: url, token: TOKEN, timeoutMs: 10_000 })
  const service = await openTestService({
    dataDir,
    settings: settingsFor(TOKEN),
    client,
    backoff: { baseMs: 10, maxMs: 20 },
    pollMs: 10,
    ...(store.databaseUrl ? { databaseUrl: store.databaseUrl, databaseSchema: store.databaseSchema! } : {}),
  })
  try {
    await service.start()
    const before = await store.size(dataDir)
    const accepted = await service.accept([track('huge-answer@example.com', 'Checked In')])
    expect(accepted.queued).toBe(1)
    const { events } = await service.searchEvents({ q: 'huge-answer@example.com' })
    const detail = await eventually(
      async () => {
        const d = await service.eventDetail(events[0]!.id)
        return d !== null && d.attemptLog.length >= ATTEMPTS ? d : undefined
      },
      60_000,
      `${ATTEMPTS} attempts`,
    )
    const grown = (await store.size(dataDir)) - before
    // The POST's answer: status, headers and the body's start, with the full size noted. (The later
    // turns look the event up first, since a 503 leaves its fate unknown: their errors quote the body.)
    const answered = detail.attemptLog.filter((a) => a.response !== null)
    expect(answered.length).toBeGreaterThan(0)
    for (const a of answered) {
      expect(Buffer.byteLength(JSON.stringify(a.response), 'utf8')).toBeLessThanOrEqual(8 * 1024)
      expect(a.response).toMatchObject({ status: 503, body: { truncated: true, bytes: BODY.length } })
    }
    for (const a of detail.attemptLog) expect(a.error?.length ?? 0).toBeLessThanOrEqual(500)
    expect(detail.lastError?.length ?? 0).toBeLessThanOrEqual(500)
    expect(Buffer.byteLength(JSON.stringify(detail), 'utf8')).toBeLessThan(
      16 * 1024 + detail.attemptLog.length * 10 * 1024,
    )
    // Pages and log frames of a few rows per attempt; before the fix one answer alone was 4 MB.
    expect(grown).toBeLessThan(detail.attemptLog.length * 128 * 1024)
  } finally {
    await service.stop()
    await client.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

describe('a Perkville answering 503 with a 4 MB body: the store grows by a bounded amount, the detail stays small', () => {
  it('on SQLite', async () => {
    // The database and its write-ahead log, where every write lands first.
    const size = async (dir: string) =>
      ['destination.db', 'destination.db-wal']
        .map((f) => join(dir, f))
        .filter((f) => existsSync(f))
        .reduce((sum, f) => sum + statSync(f).size, 0)
    await runOn({ size })
  }, 120_000)

  it('on PostgreSQL', async () => {
    await requirePostgres()
    const schema = randomSchema('large')
    try {
      const size = async () => {
        const rows = await queryIn<{ bytes: string }>(
          schema,
          `SELECT sum(pg_total_relation_size(c.oid))::text AS bytes FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`,
          [schema],
        )
        return Number(rows[0]?.bytes ?? 0)
      }
      await runOn({ databaseUrl: TEST_DATABASE_URL, databaseSchema: schema, size })
    } finally {
      await dropSchema(schema)
    }
  }, 120_000)
})
