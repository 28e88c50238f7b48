/**
 * Measures the pipeline alone (no HTTP server): accept() into SQLite with batches of 100 from many
 * concurrent callers, then delivery to a sandbox with fixed latency. Run:
 *   npm run bench:pipeline -- [events] [latencyMs] [durability]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { Registry } from 'prom-client'
import { createPerkvilleClient } from '../../src/perkville/client.js'
import type { IncomingEvent } from '../../src/pipeline/service-api.js'
import { startSandbox } from '../../src/sandbox/index.js'
import { openTestService, settingsFor } from '../../test/pipeline/harness.js'

const args = process.argv.slice(2).filter((a) => a !== '--')
const total = Number(args[0] ?? 100_000)
const latencyMs = Number(args[1] ?? 20)
const durability = (args[2] ?? 'process') as 'process' | 'power'
const customers = 5_000

function batchOf(start: number, n: number): IncomingEvent[] {
  const out: IncomingEvent[] = []
  for (let i = start; i < start + n; i++) {
    out.push({
      source: 'tracking-api',
      receivedAt: Date.now(),
      payload: {
        type: 'track',
        event: i % 3 === 0 ? 'Order Completed' : 'Checked In',
        userId: `u${i % customers}`,
        messageId: `bench-${i}`,
        timestamp: new Date().toISOString(),
        properties: {
          email: `c${i % customers}@example.com`,
          ...(i % 3 === 0 ? { order_id: `o${i}`, revenue: 12.5 } : {}),
        },
        context: { library: { name: 'analytics-node', version: '3.1.0' }, ip: '127.0.0.1' },
      },
    })
  }
  return out
}

const dir = mkdtempSync(join(tmpdir(), 'pipeline-bench-'))
// SANDBOX_URL: a sandbox in another process (node dist/cli/index.js sandbox --port 0 --latency-ms 20),
// so its CPU does not count against the pipeline's.
const external = process.env.SANDBOX_URL
const sandbox = external
  ? {
      url: external,
      token: 'sandbox-token',
      transactions: () => [] as unknown[],
      close: async () => undefined,
    }
  : await startSandbox({ memory: true, faults: { latencyMs } })
const client = createPerkvilleClient({ baseUrl: sandbox.url, token: sandbox.token, timeoutMs: 10_000 })
const service = await openTestService({
  dataDir: dir,
  settings: settingsFor(sandbox.token),
  client,
  registry: new Registry(),
  logger: pino({ level: 'silent' }),
  durability,
})

// Phase 1: accept only (workers not started), 8 concurrent callers with batches of 100, built as
// they go so the bench holds no backlog of its own.
const rss0 = process.memoryUsage().rss
let next = 0
const t0 = performance.now()
await Promise.all(
  Array.from({ length: 8 }, async () => {
    while (next < total) {
      const start = next
      next += 100
      await service.accept(batchOf(start, Math.min(100, total - start)))
    }
  }),
)
const acceptMs = performance.now() - t0
console.log(
  `accept: ${total} events in ${acceptMs.toFixed(0)} ms = ${Math.round((total / acceptMs) * 1000)} events/s (durability ${durability})`,
)

console.log(`after accept: rss ${Math.round(process.memoryUsage().rss / 1e6)} MB`)

// Phase 2: drain the backlog to the sandbox (DRAIN_LIMIT: stop after that many).
const limit = Math.min(total, Number(process.env.DRAIN_LIMIT ?? total))
const t1 = performance.now()
await service.start()
for (;;) {
  const h = await service.health()
  if (total - h.queueDepth >= limit) break
  await new Promise((r) => setTimeout(r, 50))
}
const drainMs = performance.now() - t1
console.log(
  `deliver: ${limit} of ${total} queued in ${drainMs.toFixed(0)} ms = ${Math.round((limit / drainMs) * 1000)} delivered/s (sandbox latency ${latencyMs} ms, concurrency 32)`,
)
const gc = (globalThis as { gc?: () => void }).gc
if (gc) gc()
const mem = process.memoryUsage()
console.log(
  `memory: heapUsed ${Math.round(mem.heapUsed / 1e6)} MB, heapTotal ${Math.round(mem.heapTotal / 1e6)} MB, external ${Math.round(mem.external / 1e6)} MB, rss ${Math.round(mem.rss / 1e6)} MB`,
)
console.log(
  `sandbox holds ${external ? '?' : sandbox.transactions().length} transactions; rss ${Math.round(process.memoryUsage().rss / 1e6)} MB (start ${Math.round(rss0 / 1e6)} MB)`,
)
await service.stop()
await client.close()
await sandbox.close()
rmSync(dir, { recursive: true, force: true })
