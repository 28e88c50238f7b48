// A pre-loaded delivery queue, made the way an operator would meet one: the service accepts events
// while Perkville refuses its credentials (delivery pauses, nothing fails), then it is stopped and
// started again with working credentials, and the backlog drains from a cold start.
import { join } from 'node:path'
import { deliverableEvent } from '../event-mix.mjs'
import { metricSum } from './metrics.mjs'
import { progress } from './report.mjs'
import { loadBatches, sandboxCount, startServiceProcess, waitFor, writeSettingsFile } from './stack.mjs'

/** Queues `n` sendable events (distinct ids under `prefix`) in a fresh data dir; returns where. */
export async function preloadQueue({ work, sandbox, n, prefix, parallel = 4, extraArgs = [] }) {
  const dataDir = join(work, `data-${prefix}`)
  const wrongKey = writeSettingsFile(join(work, 'wrong-key'), { apiKey: 'bench-refused-token' })
  const service = await startServiceProcess({
    dataDir,
    perkvilleUrl: sandbox.url,
    settingsFile: wrongKey,
    extraArgs,
  })
  const started = Date.now()
  let lastShown = 0
  const events = {
    length: n,
    slice: (a, b) => Array.from({ length: Math.min(b, n) - a }, (_, k) => deliverableEvent(a + k, prefix)),
  }
  await loadBatches(service.url, events, {
    size: 100,
    parallel,
    onProgress: (sent) => {
      if (Date.now() - lastShown > 2_000) {
        lastShown = Date.now()
        progress(
          `  pre-loading ${prefix}: ${sent.toLocaleString('en-US')} / ${n.toLocaleString('en-US')} events accepted`,
        )
      }
    },
  })
  const loadSeconds = (Date.now() - started) / 1000
  const queued = await metricSum(service.url, 'perkville_queue_depth')
  const rss = service.child.peakRssMb()
  await service.child.stop()
  progress(
    `  pre-loaded ${queued.toLocaleString('en-US')} queued events in ${loadSeconds.toFixed(1)} s (${Math.round(n / loadSeconds)}/s accepted)`,
  )
  return { dataDir, queued, loadSeconds, rssPeakMb: rss }
}

/**
 * Starts the service on a pre-loaded data dir with working credentials and times how long the
 * sandbox takes to hold `n` more transactions. `marks` (each ≤ n) record when that many were reached;
 * `stopAt` (default n) ends the wait early. `instances` > 1 starts that many service processes on the
 * same store (PostgreSQL: give the database in `extraArgs`), each with its own data dir.
 */
export async function drainQueue({
  work,
  sandbox,
  dataDir,
  n,
  stopAt = n,
  marks = [],
  timeoutMs = 600_000,
  extraArgs = [],
  instances = 1,
}) {
  const goodKey = writeSettingsFile(join(work, 'good-key'))
  const before = await sandboxCount(sandbox.origin)
  const services = await Promise.all(
    Array.from({ length: instances }, (_, k) =>
      startServiceProcess({
        dataDir: k === 0 ? dataDir : `${dataDir}-${k}`,
        perkvilleUrl: sandbox.url,
        settingsFile: goodKey,
        extraArgs,
      }),
    ),
  )
  const service = services[0]
  const t0 = Date.now()
  let count = before
  let lastShown = 0
  let rssPeakMb = 0
  const at = {}
  const done = await waitFor(
    async () => {
      count = await sandboxCount(sandbox.origin)
      const s = (Date.now() - t0) / 1000
      for (const m of marks) if (at[m] === undefined && count - before >= m) at[m] = s
      for (const s of services) rssPeakMb = Math.max(rssPeakMb, s.child.peakRssMb() ?? 0)
      if (Date.now() - lastShown > 2_000) {
        lastShown = Date.now()
        progress(
          `  draining: ${(count - before).toLocaleString('en-US')} / ${stopAt.toLocaleString('en-US')} delivered in ${s.toFixed(0)} s`,
        )
      }
      return count - before >= stopAt
    },
    { timeoutMs, intervalMs: 100 },
  )
  const seconds = (Date.now() - t0) / 1000
  const delivered = count - before
  return { service, services, delivered, seconds, rate: delivered / seconds, done, rssPeakMb, at }
}
