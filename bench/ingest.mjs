#!/usr/bin/env node
// bench:ingest — the service (SQLite, default settings) under load from autocannon in a separate
// process: events/s acknowledged through /v1/batch (100 events per request) and requests/s through
// /v1/track, side by side with a bare Node HTTP server that only parses the JSON and answers 200.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { options } from './lib/args.mjs'
import { runCannon } from './lib/cannon.mjs'
import { BENCH_DIR, startChild } from './lib/child.mjs'
import { INGEST_HEADERS, INGEST_OPTIONS, ingestBodies } from './lib/ingest-load.mjs'
import { metricSum } from './lib/metrics.mjs'
import { printNote, printResult, printTable, progress, verdict } from './lib/report.mjs'
import { startSandboxProcess, startServiceProcess, writeSettingsFile } from './lib/stack.mjs'

const opts = options({ ...INGEST_OPTIONS, keep: false })
const S = opts.seconds
const { trackBodies, batchBody, identifyBatchBody } = ingestBodies(opts['batch-size'])
const headers = INGEST_HEADERS

const work = mkdtempSync(join(tmpdir(), 'bench-ingest-'))
const children = []
const results = {}
try {
  progress('starting the bare HTTP server, the sandbox and the service')
  const bare = await startChild({
    name: 'bare-server',
    args: [join(BENCH_DIR, 'lib', 'bare-server.mjs')],
    ready: /listening on port (\d+)/,
  })
  children.push(bare)
  const bareUrl = `http://127.0.0.1:${bare.match[1]}`
  const sandbox = await startSandboxProcess({ latencyMs: opts['sandbox-latency-ms'] })
  children.push(sandbox.child)
  const service = await startServiceProcess({
    dataDir: join(work, 'data'),
    perkvilleUrl: sandbox.url,
    settingsFile: writeSettingsFile(work),
  })
  children.push(service.child)

  const track = (url, label, duration = S) =>
    runCannon({
      url: `${url}/v1/track`,
      headers,
      bodies: trackBodies,
      connections: opts['track-connections'],
      duration,
      label,
    })
  const batch = (url, label, duration = S, body = batchBody) =>
    runCannon({
      url: `${url}/v1/batch`,
      headers,
      body,
      connections: opts['batch-connections'],
      duration,
      label,
    })

  progress('warm-up (2 s each)')
  await track(bareUrl, 'warm-up bare', 2)
  await track(service.url, 'warm-up service', 2)

  // Bare and service alternate, and the bare track run is repeated at the end, so drift shows.
  progress(`/v1/track: bare server, ${S} s`)
  results.bareTrack1 = await track(bareUrl, 'bare /v1/track')
  progress(`/v1/track: service, ${S} s`)
  results.track = await track(service.url, 'service /v1/track')
  progress(`/v1/batch (${opts['batch-size']} events/request): service, ${S} s`)
  results.batch = await batch(service.url, 'service /v1/batch')
  progress(`/v1/batch of Engage identifies (${opts['batch-size']}/request): service, ${S} s`)
  results.identifyBatch = await batch(service.url, 'service /v1/batch identify', S, identifyBatchBody)
  progress(`/v1/batch: bare server, ${S} s`)
  results.bareBatch = await batch(bareUrl, 'bare /v1/batch')
  progress(`/v1/track: bare server again, ${S} s`)
  results.bareTrack2 = await track(bareUrl, 'bare /v1/track (2)')

  const received = await metricSum(service.url, 'perkville_events_received_total')
  const queued = await metricSum(service.url, 'perkville_events_queued_total')
  const rssPeak = service.child.peakRssMb()

  const bareReq = (results.bareTrack1.ok_per_s + results.bareTrack2.ok_per_s) / 2
  const trackReq = results.track.ok_per_s
  const batchEvents = results.batch.ok_per_s * opts['batch-size']
  const identifyEvents = results.identifyBatch.ok_per_s * opts['batch-size']
  const bareBatchEvents = results.bareBatch.ok_per_s * opts['batch-size']
  const row = (label, r, perReq = 1) => [
    label,
    r.ok_per_s,
    r.ok_per_s * perReq,
    r.latency_ms.p50,
    r.latency_ms.p90,
    r.latency_ms.p99,
    r.non2xx + r.errors + r.timeouts,
  ]
  printTable(
    `bench:ingest — ${S} s per run, autocannon in its own process (track ${opts['track-connections']} connections, batch ${opts['batch-connections']})`,
    ['run', 'req/s', 'events/s', 'p50 ms', 'p90 ms', 'p99 ms', 'not 200'],
    [
      row('bare server /v1/track (1st)', results.bareTrack1),
      row('service /v1/track', results.track),
      row('bare server /v1/track (2nd)', results.bareTrack2),
      row(`service /v1/batch ×${opts['batch-size']}`, results.batch, opts['batch-size']),
      row(`service /v1/batch ×${opts['batch-size']} identify`, results.identifyBatch, opts['batch-size']),
      row(`bare server /v1/batch ×${opts['batch-size']}`, results.bareBatch, opts['batch-size']),
    ],
  )
  const trackRatio = trackReq / bareReq
  printTable(
    'targets',
    ['target', 'measured', 'verdict'],
    [
      [
        'batch events/s ≥ 30,000',
        Math.round(batchEvents).toLocaleString('en-US'),
        verdict(batchEvents >= 30_000),
      ],
      ['track req/s ≥ 0.5 × bare req/s', `${trackRatio.toFixed(2)} ×`, verdict(trackRatio >= 0.5)],
      [
        'Engage identify batch ≈ track batch (events/s)',
        `${(identifyEvents / batchEvents).toFixed(2)} ×`,
        verdict(identifyEvents >= 0.8 * batchEvents),
      ],
    ],
  )
  printNote(
    [
      '',
      'Method: the service runs as `perkville-destination serve` (SQLite in a temp dir, log level warn, default',
      `concurrency) delivering to a sandbox child with ${opts['sandbox-latency-ms']} ms latency, so its workers deliver while it ingests.`,
      'Every request carries fresh messageIds and order ids (autocannon [<id>] replacement) drawn from the event mix;',
      'the bare server (bench/lib/bare-server.mjs) gets the very same bodies and only parses them. bare req/s is the',
      `mean of the runs before and after the service's. Service counted ${received} events received, ${queued} queued;`,
      `its peak RSS was ${rssPeak === null ? 'n/a' : rssPeak.toFixed(0)} MB.`,
    ].join('\n'),
  )
  printResult({
    batch_events_per_s: batchEvents,
    track_req_per_s: trackReq,
    bare_req_per_s: bareReq,
    track_vs_bare: trackRatio,
    bare_batch_events_per_s: bareBatchEvents,
    identify_batch_events_per_s: identifyEvents,
    identify_vs_track_batch: identifyEvents / batchEvents,
    batch_p50_ms: results.batch.latency_ms.p50,
    batch_p99_ms: results.batch.latency_ms.p99,
    track_p50_ms: results.track.latency_ms.p50,
    track_p99_ms: results.track.latency_ms.p99,
    bare_p50_ms: results.bareTrack1.latency_ms.p50,
    bare_p99_ms: results.bareTrack1.latency_ms.p99,
    not_200: results.batch.non2xx + results.track.non2xx + results.batch.errors + results.track.errors,
    service_rss_peak_mb: rssPeak,
  })
} finally {
  for (const c of children.reverse()) await c.stop()
  if (!opts.keep) rmSync(work, { recursive: true, force: true })
}
