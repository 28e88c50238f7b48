/**
 * Live events' received → accepted latency while a replay drains (issue 22 item 7): N failed events
 * are replayed, then live events arrive at RATE/s for SECONDS; reports the live events' P50/P95.
 *   npx vite-node bench/pipeline/replay-latency.ts -- [replayed] [rate] [seconds]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pino from 'pino'
import { Registry } from 'prom-client'
import { createPerkvilleClient } from '../../src/perkville/client.js'
import { atTheDoor } from '../../src/pipeline/door.js'
import { openSqliteStorage } from '../../src/pipeline/storage/sqlite.js'
import type { AcceptContext, NewEvent } from '../../src/pipeline/storage/storage.js'
import { startSandbox } from '../../src/sandbox/index.js'
import { DB_FILE } from '../../src/server/open-storage.js'
import { claimAndFinish, openTestService, settingsFor, track } from '../../test/pipeline/harness.js'

const args = process.argv.slice(2).filter((a) => a !== '--')
const replayed = Number(args[0] ?? 20_000)
const rate = Number(args[1] ?? 20)
const seconds = Number(args[2] ?? 5)
const sandbox = await startSandbox({ memory: true, faults: { latencyMs: 20 } })
const dir = mkdtempSync(join(tmpdir(), 'replay-lat-'))
const settings = settingsFor(sandbox.token)
const newEvent = (email: string, receivedAt: number): NewEvent => {
  const v = atTheDoor(settings, { ...track(email, 'Checked In'), receivedAt })
  if (v.kind !== 'queue') throw new Error('expected a send')
  return v.event
}
const ctx = (now: number): AcceptContext => ({
  now,
  dedupSince: now - 1_000,
  orderRule: (tx) => ({ action: 'queue', quantity: tx.quantity, ledger: null }),
})

// N failed events, as a long outage would leave them.
const t0 = Date.now()
const storage = openSqliteStorage({ path: join(dir, DB_FILE) })
for (let i = 0; i < replayed; i += 1000) {
  const events = Array.from({ length: Math.min(1000, replayed - i) }, (_, j) =>
    newEvent(`old-${i + j}@example.com`, t0),
  )
  await storage.accept([{ events }], ctx(t0))
  await claimAndFinish(storage, t0, 'failed')
}
await storage.close()

const client = createPerkvilleClient({ baseUrl: sandbox.url, token: sandbox.token })
const service = await openTestService({
  dataDir: dir,
  settings,
  client,
  registry: new Registry(),
  logger: pino({ level: 'silent' }),
})
await service.start()
console.log(`replayed ${await service.replayFailed({ from: t0 - 60_000, to: Date.now() + 60_000 })}`)
const start = Date.now()
const accepts: Array<Promise<unknown>> = []
for (let i = 0; i < rate * seconds; i++) {
  const wait = start + (i * 1000) / rate - Date.now()
  if (wait > 0) await new Promise((r) => setTimeout(r, wait))
  accepts.push(service.accept([track(`live-${i}@example.com`, 'Checked In')]))
}
await Promise.all(accepts)
// Until every live event is delivered.
const db = () => new Database(join(dir, DB_FILE), { readonly: true })
for (;;) {
  const d = db()
  const left = d
    .prepare(`SELECT count(*) AS n FROM events WHERE email LIKE 'live-%' AND status <> 'delivered'`)
    .get() as { n: number }
  d.close()
  if (left.n === 0) break
  await new Promise((r) => setTimeout(r, 200))
}
const d = db()
const ms = (
  d.prepare(`SELECT latency_ms FROM events WHERE email LIKE 'live-%' ORDER BY latency_ms`).all() as Array<{
    latency_ms: number
  }>
).map((r) => r.latency_ms)
d.close()
const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]
console.log(`live events: ${ms.length}, p50 ${at(0.5)} ms, p95 ${at(0.95)} ms (replay of ${replayed})`)
await service.stop()
await client.close()
await sandbox.close()
rmSync(dir, { recursive: true, force: true })
