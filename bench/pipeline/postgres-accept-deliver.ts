/**
 * Measures the pipeline on PostgreSQL (no HTTP server): accept() with batches of 100 from 8
 * concurrent callers, then delivery by 1 or 2 instances sharing the schema to a sandbox with fixed
 * latency. The schema is random and dropped afterwards. Run:
 *   npm run bench:postgres -- [events] [latencyMs] [instances]
 */
import pino from 'pino'
import { Registry } from 'prom-client'
import { createPerkvilleClient } from '../../src/perkville/client.js'
import type { DeliveryService, IncomingEvent } from '../../src/pipeline/service-api.js'
import { startSandbox } from '../../src/sandbox/index.js'
import { openTestService, settingsFor } from '../../test/pipeline/harness.js'
import {
  dropSchema,
  queryIn,
  randomSchema,
  requirePostgres,
  TEST_DATABASE_URL,
} from '../../test/postgres/pg-harness.js'

const args = process.argv.slice(2).filter((a) => a !== '--')
const total = Number(args[0] ?? 20_000)
const latencyMs = Number(args[1] ?? 20)
const instances = Number(args[2] ?? 2)
const customers = 2_000

function batchOf(start: number, n: number): IncomingEvent[] {
  return Array.from({ length: n }, (_, k) => {
    const i = start + k
    return {
      source: 'tracking-api',
      receivedAt: Date.now(),
      payload: {
        type: 'track',
        event: i % 3 === 0 ? 'Order Completed' : 'Checked In',
        userId: `u${i % customers}`,
        messageId: `pgbench-${i}`,
        properties: {
          email: `c${i % customers}@example.com`,
          ...(i % 3 === 0 ? { order_id: `o${i}`, revenue: 12.5 } : {}),
        },
      },
    }
  })
}

await requirePostgres()
const schema = randomSchema('bench')
const sandbox = await startSandbox({ memory: true, faults: { latencyMs, scope: 'writes' } })
const clients = Array.from({ length: instances }, () =>
  createPerkvilleClient({ baseUrl: sandbox.url, token: sandbox.token, timeoutMs: 10_000 }),
)
const services: DeliveryService[] = []
for (const client of clients) {
  services.push(
    await openTestService({
      dataDir: '/unused',
      databaseUrl: TEST_DATABASE_URL,
      databaseSchema: schema,
      settings: settingsFor(sandbox.token),
      client,
      registry: new Registry(),
      logger: pino({ level: 'silent' }),
      pollMs: 50,
    }),
  )
}

let next = 0
const t0 = performance.now()
await Promise.all(
  Array.from({ length: 8 }, async (_, caller) => {
    while (next < total) {
      const start = next
      next += 100
      await services[caller % instances]!.accept(batchOf(start, Math.min(100, total - start)))
    }
  }),
)
const acceptMs = performance.now() - t0
console.log(
  `accept: ${total} events in ${acceptMs.toFixed(0)} ms = ${Math.round((total / acceptMs) * 1000)} events/s (${instances} instance(s))`,
)

const t1 = performance.now()
for (const s of services) await s.start()
for (;;) {
  const rows = await queryIn<{ n: number }>(
    schema,
    `SELECT COUNT(*)::int AS n FROM events WHERE status IN ('pending', 'in_flight', 'retrying')`,
  )
  if (rows[0]!.n === 0) break
  await new Promise((r) => setTimeout(r, 100))
}
const drainMs = performance.now() - t1
console.log(
  `deliver: ${total} in ${drainMs.toFixed(0)} ms = ${Math.round((total / drainMs) * 1000)} delivered/s (${instances} instance(s) x concurrency 32, sandbox latency ${latencyMs} ms); sandbox holds ${sandbox.transactions().length}`,
)
for (const s of services) await s.stop()
for (const c of clients) await c.close()
await sandbox.close()
await dropSchema(schema)
