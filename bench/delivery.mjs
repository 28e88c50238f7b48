#!/usr/bin/env node
// bench:delivery — the service delivering to the sandbox with 20 ms added latency (a remote API):
// (1) transactions/s from a pre-loaded queue with default settings; (2) the received→accepted latency
// of events arriving at a steady 200/s, measured per event from the send time to the sandbox's commit.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deliverableEvent } from './event-mix.mjs'
import { options } from './lib/args.mjs'
import { metricSum } from './lib/metrics.mjs'
import { drainQueue, preloadQueue } from './lib/queue.mjs'
import { printNote, printResult, printTable, progress, verdict } from './lib/report.mjs'
import {
  ADMIN_TOKEN,
  postJson,
  sandboxCount,
  sandboxTransactions,
  startSandboxProcess,
  waitFor,
} from './lib/stack.mjs'
import { percentile, sleep } from './lib/stats.mjs'

const opts = options({ events: 10_000, rate: 200, seconds: 10, 'latency-ms': 20, keep: false })
const work = mkdtempSync(join(tmpdir(), 'bench-delivery-'))
const children = []
try {
  const sandbox = await startSandboxProcess({ latencyMs: opts['latency-ms'] })
  children.push(sandbox.child)

  progress(`phase 1: pre-loading ${opts.events} events with delivery paused`)
  const pre = await preloadQueue({ work, sandbox, n: opts.events, prefix: 'drain' })
  progress('phase 1: restarting the service with working credentials; timing the drain')
  const drain = await drainQueue({ work, sandbox, dataDir: pre.dataDir, n: pre.queued, timeoutMs: 300_000 })
  children.push(drain.service.child)
  if (!drain.done) throw new Error(`the queue did not drain: ${drain.delivered} of ${pre.queued} delivered`)
  progress(
    `phase 1: ${drain.delivered} delivered in ${drain.seconds.toFixed(1)} s = ${Math.round(drain.rate)}/s`,
  )

  // Phase 2 uses the same (now idle) service. One event per /v1/track request, on a fixed schedule.
  const total = Math.round(opts.rate * opts.seconds)
  progress(`phase 2: ${total} events at a steady ${opts.rate}/s`)
  const sentAt = new Map()
  const failures = []
  const start = performance.now() + 100
  const t0 = Date.now() + 100
  const inFlight = []
  for (let k = 0; k < total; k++) {
    const due = start + (k * 1000) / opts.rate
    const wait = due - performance.now()
    if (wait > 1) await sleep(wait)
    const event = {
      ...deliverableEvent(k, 'steady'),
      messageId: `steady-${k}`,
      timestamp: new Date().toISOString(),
    }
    sentAt.set(event.messageId, Date.now())
    inFlight.push(
      postJson(`${drain.service.url}/v1/track`, event).then(
        (status) => status !== 200 && failures.push(status),
        (err) => failures.push(err.message),
      ),
    )
    if (k % (opts.rate * 2) === 0 && k > 0) progress(`  sent ${k} / ${total}`)
  }
  await Promise.all(inFlight)
  const sendSeconds = (Date.now() - t0) / 1000
  // Expect what the service queued: a refund that overtakes its order's spend (two requests in flight
  // at once) is refused by the order rules, as it should be, and never reaches the sandbox.
  const queued = await metricSum(drain.service.url, 'perkville_events_queued_total')
  const baseline = drain.delivered
  await waitFor(async () => (await sandboxCount(sandbox.origin)) >= baseline + queued, { timeoutMs: 60_000 })
  const txs = await sandboxTransactions(sandbox.origin)
  const latencies = []
  for (const t of txs) {
    const sent = sentAt.get(t.trans_source_id)
    if (sent !== undefined) latencies.push(Date.parse(t.created_dt) - sent)
  }
  const stats = await fetch(`${drain.service.url}/admin/stats?from=${t0 - 1000}&to=${Date.now()}`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  }).then((r) => (r.ok ? r.json() : null))

  const p = (q) => percentile(latencies, q)
  printTable(
    `bench:delivery — sandbox with ${opts['latency-ms']} ms added latency per request, service with default settings`,
    ['figure', 'value'],
    [
      ['pre-loaded queue (events)', pre.queued],
      ['drained in (s)', drain.seconds],
      ['delivered per second', drain.rate],
      [`steady load: events sent at ${opts.rate}/s`, total],
      ['  achieved send rate (events/s)', total / sendSeconds],
      ['  queued by the service', queued],
      ['  delivered (matched by trans_source_id)', latencies.length],
      ['  not acknowledged', failures.length],
      ['  latency p50 (ms)', p(50)],
      ['  latency p95 (ms)', p(95)],
      ['  latency p99 (ms)', p(99)],
      ['  latency max (ms)', p(100)],
      [
        '  service admin stats p50 / p95 (ms)',
        stats ? `${stats.latencyMs.p50} / ${stats.latencyMs.p95}` : 'n/a',
      ],
    ],
  )
  printTable(
    'targets',
    ['target', 'measured', 'verdict'],
    [
      ['delivered/s ≥ 500', Math.round(drain.rate), verdict(drain.rate >= 500)],
      ['p95 ≤ 100 ms at 200 events/s', p(95), verdict(p(95) !== null && p(95) <= 100)],
    ],
  )
  printNote(
    [
      '',
      "Method: the queue is pre-loaded through /v1/batch while the sandbox refuses the service's token (delivery",
      'pauses, nothing fails); the service is stopped and started again with the right token and the clock runs',
      "from its readiness until the sandbox counts every transaction. Latency: each event's send time (harness)",
      'to the created_dt the sandbox stored when it committed the transaction, so it includes the HTTP request in,',
      "the queue, and the 20 ms of the sandbox. The service's own admin stats (received → accepted) are shown beside.",
    ].join('\n'),
  )
  printResult({
    delivered_per_s: drain.rate,
    p50_ms: p(50),
    p95_ms: p(95),
    p99_ms: p(99),
    preloaded: pre.queued,
    drain_seconds: drain.seconds,
    steady_events: total,
    steady_queued: queued,
    steady_delivered: latencies.length,
    admin_p50_ms: stats?.latencyMs.p50 ?? null,
    admin_p95_ms: stats?.latencyMs.p95 ?? null,
    sandbox_latency_ms: opts['latency-ms'],
  })
} finally {
  for (const c of children.reverse()) await c.stop()
  if (!opts.keep) rmSync(work, { recursive: true, force: true })
}
