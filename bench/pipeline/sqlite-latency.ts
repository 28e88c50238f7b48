/**
 * Received → accepted latency at a steady rate: events arrive one per call at RATE/s for SECONDS,
 * delivered to a sandbox (ideally another process, SANDBOX_URL). Reports P50/P95 from stats().
 *   SANDBOX_URL=... npm run bench:pipeline-latency -- [rate] [seconds]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { Registry } from 'prom-client'
import { createPerkvilleClient } from '../../src/perkville/client.js'
import { startSandbox } from '../../src/sandbox/index.js'
import { openTestService, settingsFor } from '../../test/pipeline/harness.js'

const args = process.argv.slice(2).filter((a) => a !== '--')
const rate = Number(args[0] ?? 200)
const seconds = Number(args[1] ?? 10)
const external = process.env.SANDBOX_URL
const sandbox = external
  ? { url: external, token: 'sandbox-token', close: async () => undefined }
  : await startSandbox({ memory: true, faults: { latencyMs: 20 } })
const dir = mkdtempSync(join(tmpdir(), 'pipeline-lat-'))
const client = createPerkvilleClient({ baseUrl: sandbox.url, token: sandbox.token })
const service = await openTestService({
  dataDir: dir,
  settings: settingsFor(sandbox.token),
  client,
  registry: new Registry(),
  logger: pino({ level: 'silent' }),
})
await service.start()
const t0 = Date.now()
const total = rate * seconds
for (let i = 0; i < total; i++) {
  const due = t0 + (i * 1000) / rate
  const wait = due - Date.now()
  if (wait > 0) await new Promise((r) => setTimeout(r, wait))
  void service.accept([
    {
      source: 'tracking-api',
      receivedAt: Date.now(),
      payload: {
        type: 'track',
        event: 'Checked In',
        userId: `u${i % 500}`,
        messageId: `lat-${t0}-${i}`,
        properties: { email: `l${i % 500}@example.com` },
      },
    },
  ])
}
for (;;) {
  if ((await service.health()).queueDepth === 0) break
  await new Promise((r) => setTimeout(r, 20))
}
const stats = await service.stats({ from: t0 - 1000, to: Date.now() + 1000 })
console.log(
  `${total} events at ${rate}/s: delivered ${stats.delivered}, received→accepted p50 ${stats.latencyMs.p50} ms, p95 ${stats.latencyMs.p95} ms`,
)
await service.stop()
await client.close()
await sandbox.close()
rmSync(dir, { recursive: true, force: true })
