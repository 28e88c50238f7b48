#!/usr/bin/env node
// bench:accept-cost — what keeping every decision costs at the door: the pipeline's accept() (door,
// group commit, SQLite) fed the event mix (15 % of it refused), without HTTP, for this checkout and a
// baseline checkout side by side, alternating, in one run; then bytes per event stored. Both trees
// must be built (`npm run build`). The HTTP figure is bench:ingest; this one isolates the store from
// a machine whose HTTP figures swing with other work.
//   node bench/accept-cost.mjs --base /path/to/baseline/checkout [--events 100000] [--rounds 3]
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { BENCH_SETTINGS, mixedEvent } from './event-mix.mjs'
import { options } from './lib/args.mjs'
import { printNote, printResult, printTable, progress } from './lib/report.mjs'

const opts = options({ base: '', events: 100_000, rounds: 3, batch: 100, callers: 8 })
if (!opts.base) {
  process.stderr.write('--base <baseline checkout, built> is required\n')
  process.exit(2)
}
const trees = { before: resolve(opts.base), after: resolve(new URL('..', import.meta.url).pathname) }

async function load(tree) {
  const at = (p) => import(pathToFileURL(join(tree, 'dist', p)).href)
  const [{ createDeliveryService }, { openSqliteStorage }, { parseSettings }, { createPerkvilleClient }] =
    await Promise.all([
      at('pipeline/index.js'),
      at('pipeline/storage/sqlite.js'),
      at('core/settings.js'),
      at('perkville/client.js'),
    ])
  const { Registry } = await import(pathToFileURL(join(tree, 'node_modules/prom-client/index.js')).href)
  const pino = (await import(pathToFileURL(join(tree, 'node_modules/pino/pino.js')).href)).default
  return { createDeliveryService, openSqliteStorage, parseSettings, createPerkvilleClient, Registry, pino }
}

/** accept() of `events` mixed events in batches from concurrent callers; the workers never start. */
async function round(mod, label, r) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-accept-cost-'))
  const storage = mod.openSqliteStorage({ path: join(dir, 'perkville.db') })
  const settings = mod.parseSettings(BENCH_SETTINGS)
  // A client is required; nothing is delivered, as the service is never started.
  const client = mod.createPerkvilleClient({ baseUrl: 'http://127.0.0.1:9/v2/', token: settings.apiKey })
  const service = await mod.createDeliveryService({
    storage,
    sharedQueue: false,
    settings,
    client,
    createClient: () => client,
    registry: new mod.Registry(),
    logger: mod.pino({ level: 'silent' }),
    policy: {
      concurrency: 1,
      retryForMs: 3_600_000,
      dedupWindowMs: 86_400_000,
      retentionMs: 7 * 86_400_000,
      credentialsProbeMs: 60_000,
      leaseMs: 120_000,
      oneAwardPerOrder: true,
      capRefunds: true,
    },
  })
  const id = `${label}-${r}`
  let next = 0
  const started = performance.now()
  const cpuBefore = process.cpuUsage()
  await Promise.all(
    Array.from({ length: opts.callers }, async () => {
      for (;;) {
        const from = next
        if (from >= opts.events) return
        next += opts.batch
        const receivedAt = Date.now()
        const events = []
        for (let i = from; i < Math.min(opts.events, from + opts.batch); i++) {
          events.push({ payload: mixedEvent(i, id), source: 'tracking-api', receivedAt })
        }
        await service.accept(events)
      }
    }),
  )
  const seconds = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpuBefore)
  await storage.close()
  const bytes = readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0)
  rmSync(dir, { recursive: true, force: true })
  await client.close()
  return {
    perSecond: opts.events / seconds,
    cpuUsPerEvent: (cpu.user + cpu.system) / opts.events,
    bytesPerEvent: bytes / opts.events,
  }
}

const mods = { before: await load(trees.before), after: await load(trees.after) }
progress('warm-up: 10,000 events through each tree')
const measured = opts.events
opts.events = 10_000
await round(mods.before, 'warm-before', 0)
await round(mods.after, 'warm-after', 0)
opts.events = measured
const runs = { before: [], after: [] }
for (let r = 0; r < opts.rounds; r++) {
  for (const label of r % 2 === 0 ? ['before', 'after'] : ['after', 'before']) {
    progress(`round ${r + 1}/${opts.rounds}: ${label}, ${opts.events.toLocaleString('en-US')} events`)
    runs[label].push(await round(mods[label], label, r))
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const pick = (label, key, how) => how(runs[label].map((x) => x[key]))
const rate = { before: pick('before', 'perSecond', median), after: pick('after', 'perSecond', median) }
const max = (xs) => Math.max(...xs)
const best = { before: pick('before', 'perSecond', max), after: pick('after', 'perSecond', max) }
// CPU time of the process per event: what the work costs, much less moved by other load than wall time.
const cpu = { before: pick('before', 'cpuUsPerEvent', median), after: pick('after', 'cpuUsPerEvent', median) }
const min = (xs) => Math.min(...xs)
// The least disturbed round of each: on a busy machine other work only ever adds time.
const cpuBest = { before: pick('before', 'cpuUsPerEvent', min), after: pick('after', 'cpuUsPerEvent', min) }
const bytes = {
  before: median(runs.before.map((x) => x.bytesPerEvent)),
  after: median(runs.after.map((x) => x.bytesPerEvent)),
}
printTable(
  `bench:accept-cost — accept() of ${opts.events.toLocaleString('en-US')} mixed events (15 % refused), batches of ${opts.batch} from ${opts.callers} callers, ${opts.rounds} alternating rounds`,
  [
    'tree',
    'events/s (median)',
    'best',
    'each round',
    'CPU µs/event (median)',
    'CPU (best)',
    'bytes/event on disk',
  ],
  ['before', 'after'].map((label) => [
    `${label} (${trees[label]})`,
    rate[label],
    best[label],
    runs[label].map((x) => Math.round(x.perSecond)).join(' / '),
    cpu[label],
    cpuBest[label],
    bytes[label],
  ]),
)
printNote(
  [
    '',
    `after / before: ${(rate.after / rate.before).toFixed(3)} × the median events/s, ${(best.after / best.before).toFixed(3)} × the best,`,
    `${(cpu.before / cpu.after).toFixed(3)} × by median CPU time per event, ${(cpuBest.before / cpuBest.after).toFixed(3)} × by the best; ${(bytes.after - bytes.before).toFixed(0)} more bytes per event`,
    'on disk (database, WAL and shared-memory files of the store after the run; refused events were not stored before).',
  ].join('\n'),
)
printResult({
  before_events_per_s: rate.before,
  after_events_per_s: rate.after,
  ratio: rate.after / rate.before,
  best_ratio: best.after / best.before,
  cpu_ratio: cpu.before / cpu.after,
  cpu_best_ratio: cpuBest.before / cpuBest.after,
  before_cpu_us_per_event: cpu.before,
  after_cpu_us_per_event: cpu.after,
  before_bytes_per_event: bytes.before,
  after_bytes_per_event: bytes.after,
})
