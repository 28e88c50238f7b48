import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { atTheDoor } from '../../src/pipeline/door.js'
import { MIGRATIONS } from '../../src/pipeline/storage/sqlite-schema.js'
import { openSqliteThreadStorage, SqliteThreadStorage } from '../../src/pipeline/storage/sqlite-thread.js'
import type { AcceptContext, NewEvent, Storage } from '../../src/pipeline/storage/storage.js'
import { settingsFor, startHarness, track, waitFor } from './harness.js'
import { newEvent, storageContract } from './storage-contract.js'

// The thread runs the compiled worker (dist/pipeline/storage/sqlite-worker.js): `npm run build` first.
const dirs: string[] = []
const open: Storage[] = []
afterEach(async () => {
  for (const s of open.splice(0)) await s.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function dbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pipeline-storage-thread-'))
  dirs.push(dir)
  return join(dir, 'destination.db')
}

async function fresh(path = dbPath()): Promise<SqliteThreadStorage> {
  const storage = await SqliteThreadStorage.open({
    path,
    orderRules: { oneAwardPerOrder: true, capRefunds: true },
  })
  open.push(storage)
  return storage
}

const settings = settingsFor('token-for-storage-thread-tests')

const ctx = (now: number): AcceptContext => ({
  now,
  dedupSince: now - 1_000,
  orderRule: () => {
    throw new Error('the thread builds the order rule from its options; this one is never called')
  },
})

describe('the Storage contract, on SQLite in a worker thread', () => {
  storageContract(() => fresh())
})

describe('SQLite in a worker thread', () => {
  it('refuses a newer database with the same message, without a thread left running', async () => {
    const path = dbPath()
    const first = await fresh(path)
    await first.close()
    const db = new Database(path)
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`)
    db.close()
    await expect(
      openSqliteThreadStorage({ path, orderRules: { oneAwardPerOrder: true, capRefunds: true } }),
    ).rejects.toThrow(/newer than this program/)
  })

  it('applies the order rules it was opened with inside the thread', async () => {
    const opened = async (oneAwardPerOrder: boolean) => {
      const storage = await SqliteThreadStorage.open({
        path: dbPath(),
        orderRules: { oneAwardPerOrder, capRefunds: oneAwardPerOrder },
      })
      open.push(storage)
      return storage
    }
    const now = Date.now()
    const order = (): NewEvent => {
      const v = atTheDoor(settings, {
        ...track('o@x.co', 'Order Completed', { order_id: 'O-1', revenue: 10 }),
      })
      if (v.kind !== 'queue') throw new Error('expected a send')
      return v.event
    }
    const on = await opened(true)
    expect(await on.accept([{ events: [order(), order()], drops: [] }], ctx(now))).toEqual([
      ['queued', 'order_rule'],
    ])
    const off = await opened(false)
    expect(await off.accept([{ events: [order(), order()], drops: [] }], ctx(now))).toEqual([
      ['queued', 'queued'],
    ])
  })

  it("hands an error thrown in the thread to the caller as an Error with the thread's message", async () => {
    const storage = await fresh()
    const broken = { ...newEvent('err@x.co'), tx: null } as unknown as NewEvent
    const err = await storage.accept([{ events: [broken], drops: [] }], ctx(Date.now())).catch((e) => e)
    expect(err).toBeInstanceOf(Error)
    expect(String(err.message)).toMatch(/null|undefined/)
    // The thread lives on and the failed transaction left nothing behind.
    expect(await storage.ping()).toBe(true)
    expect(await storage.queueDepth()).toBe(0)
  })

  it('stops a statistics scan early without leaving its cursor open', async () => {
    const storage = await fresh()
    const at = Date.now()
    const events = Array.from({ length: 6_000 }, (_, i) => newEvent(`scan${i % 50}@x.co`, at))
    await storage.accept([{ events, drops: [] }], ctx(at))
    for await (const chunk of storage.scanForStats(at - 1, at + 1)) {
      expect(chunk.length).toBeGreaterThan(0)
      break
    }
    let rows = 0
    for await (const chunk of storage.scanForStats(at - 1, at + 1)) rows += chunk.length
    expect(rows).toBe(6_000)
  })

  it('rejects pending and later calls when the thread dies, and ping() turns false; the process lives on', async () => {
    const storage = await fresh()
    const now = Date.now()
    const calls = Array.from({ length: 20 }, (_, i) =>
      storage.accept(
        [{ events: Array.from({ length: 200 }, (_, j) => newEvent(`c${i}-${j}@x.co`, now)), drops: [] }],
        ctx(now),
      ),
    )
    await storage.terminate()
    const settled = await Promise.allSettled(calls)
    const rejected = settled.filter((s) => s.status === 'rejected')
    expect(rejected.length).toBeGreaterThan(0)
    for (const r of rejected) expect(String(r.reason.message)).toMatch(/SQLite storage thread stopped/)
    expect(await storage.ping()).toBe(false)
    await expect(storage.queueDepth()).rejects.toThrow(/SQLite storage thread stopped/)
    await storage.close()
  })
})

describe('the delivery service with storageThread', () => {
  it('accepts, applies the order rules, delivers, counts and restarts on the same database', async () => {
    const h = await startHarness({ service: { storageThread: true } })
    try {
      const events = [
        track('t1@x.co', 'Checked In'),
        track('t2@x.co', 'Order Completed', { order_id: 'T-1', revenue: 5 }),
        track('t2@x.co', 'Order Completed', { order_id: 'T-1', revenue: 5 }),
      ]
      expect(await h.service.accept(events)).toEqual({ queued: 2, duplicates: 0, dropped: 1 })
      expect(await h.service.accept([events[0]!])).toEqual({ queued: 0, duplicates: 1, dropped: 0 })
      await waitFor(async () => (await h.service.health()).queueDepth === 0, 'queue to drain')
      expect(h.sandbox.transactions()).toHaveLength(2)
      const health = await h.service.health()
      expect(health.storage).toBe('ok')
      const stats = await h.service.stats({ from: Date.now() - 60_000, to: Date.now() + 1_000 })
      expect(stats.received).toBe(3)
      expect(stats.delivered).toBe(2)
      const again = await h.restart({ storageThread: true })
      expect(await again.accept([events[1]!])).toEqual({ queued: 0, duplicates: 1, dropped: 0 })
      expect((await again.listEvents({})).events).toHaveLength(3)
    } finally {
      await h.close()
    }
  })
})
