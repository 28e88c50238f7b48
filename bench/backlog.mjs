#!/usr/bin/env node
// bench:backlog — does a big backlog slow delivery down? The same service drains a pre-loaded queue of
// 10,000 and of 100,000 events (1,000,000 with --million) into the sandbox; the rate over the same
// number of first deliveries is compared, and the service's peak RSS is read from the kernel (VmHWM).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { options } from './lib/args.mjs'
import { benchSchema, dropSchemas, pgArgs, pgUnreachable } from './lib/pg.mjs'
import { drainQueue, preloadQueue } from './lib/queue.mjs'
import { printNote, printResult, printTable, progress, verdict } from './lib/report.mjs'
import { startSandboxProcess } from './lib/stack.mjs'

const opts = options({
  small: 10_000,
  large: 100_000,
  window: 8_000,
  'latency-ms': 0,
  million: false,
  full: false,
  postgres: false,
  keep: false,
})
const store = opts.postgres ? 'postgres' : 'sqlite'
if (opts.postgres) {
  const why = await pgUnreachable()
  if (why) {
    process.stderr.write(`bench:backlog --postgres: PostgreSQL is not reachable (${why})\n`)
    process.exit(2)
  }
}
const schemas = []
// The small backlog runs before and after the large ones, so drift of this shared machine shows and averages out.
const sizes = [opts.small, opts.large, ...(opts.million ? [1_000_000] : []), opts.small]
const window = Math.min(opts.window, opts.small)
const work = mkdtempSync(join(tmpdir(), 'bench-backlog-'))
const children = []
const rows = []
const figures = {}
let rssPeak = 0
const record = (name, value) => {
  figures[name] = [...(figures[name] ?? []), value]
}
try {
  const sandbox = await startSandboxProcess({ latencyMs: opts['latency-ms'] })
  children.push(sandbox.child)
  for (const [run, n] of sizes.entries()) {
    progress(`backlog of ${n.toLocaleString('en-US')}: pre-loading with delivery paused`)
    const extraArgs = []
    if (opts.postgres) {
      schemas.push(benchSchema(`backlog${run}`))
      extraArgs.push(...pgArgs(schemas.at(-1)))
    }
    const pre = await preloadQueue({ work, sandbox, n, prefix: `b${run}x${n}`, extraArgs })
    rssPeak = Math.max(rssPeak, pre.rssPeakMb ?? 0)
    const full = opts.full || n === opts.small
    progress(
      `backlog of ${n.toLocaleString('en-US')}: draining ${full ? 'all of it' : `the first ${window.toLocaleString('en-US')}`}`,
    )
    const d = await drainQueue({
      work,
      sandbox,
      dataDir: pre.dataDir,
      n: pre.queued,
      stopAt: full ? pre.queued : window,
      marks: [window],
      extraArgs,
      timeoutMs: opts.million || opts.full ? 1_800_000 : 120_000,
    })
    if (!d.done) {
      await d.service.child.stop()
      throw new Error(`backlog of ${n}: only ${d.delivered} delivered before the time limit`)
    }
    rssPeak = Math.max(rssPeak, d.rssPeakMb, d.service.child.peakRssMb() ?? 0)
    await d.service.child.stop()
    rmSync(pre.dataDir, { recursive: true, force: true })
    await dropSchemas(schemas.splice(0))
    const windowRate = d.at[window] === undefined ? null : window / d.at[window]
    rows.push([
      n,
      pre.loadSeconds,
      n / pre.loadSeconds,
      windowRate,
      full ? d.rate : null,
      Math.max(pre.rssPeakMb ?? 0, d.rssPeakMb),
    ])
    const key = n >= 1_000_000 ? '1m' : `${n / 1000}k`
    record(`drain_per_s_${key}`, windowRate)
    if (full) record(`full_drain_per_s_${key}`, d.rate)
    progress(
      `backlog of ${n.toLocaleString('en-US')}: ${windowRate === null ? 'n/a' : Math.round(windowRate)}/s over the first ${window}`,
    )
  }
  for (const [k, v] of Object.entries(figures)) figures[k] = v.reduce((a, b) => a + b, 0) / v.length
  const largest = Math.max(...sizes)
  const largestKey = largest >= 1_000_000 ? '1m' : `${largest / 1000}k`
  const small = figures[`drain_per_s_${opts.small / 1000}k`]
  const large = figures[`drain_per_s_${opts.large / 1000}k`]
  const ratio = large / small
  const largestRatio = figures[`drain_per_s_${largestKey}`] / small
  printTable(
    `bench:backlog (${store}) — rate over the first ${window.toLocaleString('en-US')} deliveries from each backlog (sandbox latency ${opts['latency-ms']} ms)`,
    ['backlog', 'load s', 'accepted/s', 'drain/s (window)', 'drain/s (all)', 'RSS peak MB'],
    rows,
  )
  printTable(
    'targets',
    ['target', 'measured', 'verdict'],
    [
      ['100k rate ≥ 75% of the 10k rate', `${(ratio * 100).toFixed(0)} %`, verdict(ratio >= 0.75)],
      ...(largest > opts.large
        ? [
            [
              `${largestKey} rate ≥ 75% of the 10k rate`,
              `${(largestRatio * 100).toFixed(0)} %`,
              verdict(largestRatio >= 0.75),
            ],
          ]
        : []),
      ['service RSS peak ≤ 200 MB', Math.round(rssPeak), verdict(rssPeak <= 200)],
    ],
  )
  printNote(
    [
      '',
      "Method: each backlog is queued through /v1/batch while the sandbox refuses the service's token, then the",
      "service is restarted with the right token and the sandbox's transaction count is polled every 100 ms. Both",
      'rates cover the same number of first deliveries, so ramp-up is alike and neither has the tail of a nearly',
      'empty queue; --full drains every backlog completely. The small backlog runs first and last; its figure is the',
      "mean of both. RSS is the kernel's high-water mark (VmHWM) of the",
      'service processes that loaded and drained the queue.',
    ].join('\n'),
  )
  printResult({
    ...figures,
    store,
    drain_ratio_100k_vs_10k: ratio,
    largest_backlog: largest,
    drain_ratio_largest_vs_10k: largestRatio,
    rss_peak_mb: rssPeak,
    window,
    sandbox_latency_ms: opts['latency-ms'],
  })
} finally {
  for (const c of children.reverse()) await c.stop()
  await dropSchemas(schemas).catch(() => undefined)
  if (!opts.keep) rmSync(work, { recursive: true, force: true })
}
