#!/usr/bin/env node
// bench:ingest-memory — what the service's resident memory is made of under bench:ingest's load:
// samples VmRSS (/proc) and the service's own /metrics (heap spaces, external, array buffers) every
// 200 ms through /v1/track and /v1/batch load, and prints the breakdown at each phase's RSS peak with
// the CPU the service spent per acknowledged event.
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { options } from './lib/args.mjs'
import { runCannon } from './lib/cannon.mjs'
import { INGEST_HEADERS, INGEST_OPTIONS, ingestBodies } from './lib/ingest-load.mjs'
import { printResult, printTable, progress } from './lib/report.mjs'
import { startSandboxProcess, startServiceProcess, writeSettingsFile } from './lib/stack.mjs'

const opts = options({ ...INGEST_OPTIONS, 'node-args': '', 'extra-args': '', 'output-file': '' })
const S = opts.seconds
const { trackBodies, batchBody } = ingestBodies(opts['batch-size'])
const headers = INGEST_HEADERS
const split = (s) => (s === '' ? [] : String(s).split(' '))

const MB = 1024 * 1024
const METRICS = {
  heapUsed: 'nodejs_heap_size_used_bytes',
  heapTotal: 'nodejs_heap_size_total_bytes',
  external: 'nodejs_external_memory_bytes',
}
function parseMetrics(text) {
  const out = { spaces: {} }
  for (const line of text.split('\n')) {
    for (const [k, name] of Object.entries(METRICS))
      if (line.startsWith(`${name} `)) out[k] = Number(line.split(' ')[1]) / MB
    const m = /^nodejs_heap_space_size_total_bytes\{space="([a-z_]+)"\} (\d+)/.exec(line)
    if (m) out.spaces[m[1]] = Number(m[2]) / MB
  }
  return out
}

let stopping = false
const work = mkdtempSync(join(tmpdir(), 'bench-ingest-memory-'))
const children = []
try {
  const sandbox = await startSandboxProcess({ latencyMs: opts['sandbox-latency-ms'] })
  children.push(sandbox.child)
  const service = await startServiceProcess({
    dataDir: join(work, 'data'),
    perkvilleUrl: sandbox.url,
    settingsFile: writeSettingsFile(work),
    nodeArgs: split(opts['node-args']),
    extraArgs: split(opts['extra-args']),
  })
  children.push(service.child)
  if (opts['output-file'] !== '')
    service.child.onLine((line) => appendFileSync(opts['output-file'], `${line}\n`))
  service.child.exited.then(({ code, signal }) => {
    if (!stopping)
      process.stderr.write(`service exited (code ${code}, signal ${signal}):\n${service.child.output()}\n`)
  })
  const status = () => {
    const text = readFileSync(`/proc/${service.child.pid}/status`, 'utf8')
    const kb = (f) => Number(new RegExp(`^${f}:\\s+(\\d+) kB`, 'm').exec(text)[1]) / 1024
    return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile'), shmem: kb('RssShmem') }
  }

  const phases = []
  const phase = async (label, run) => {
    const peak = { rss: 0 }
    let stop = false
    const sampler = (async () => {
      while (!stop) {
        let st
        try {
          st = status()
        } catch {
          break // the service is gone; its exit is reported
        }
        const rss = st.rss
        try {
          const res = await fetch(`${service.url}/metrics`, { signal: AbortSignal.timeout(5_000) })
          const m = parseMetrics(await res.text())
          if (rss >= peak.rss) Object.assign(peak, m, st)
        } catch {}
        await new Promise((r) => setTimeout(r, 200))
      }
    })()
    const cpu0 = service.child.cpuSeconds()
    const result = await run()
    const cpu = service.child.cpuSeconds() - cpu0
    stop = true
    await sampler
    phases.push({ label, peak, result, cpu })
  }
  const track = (duration) =>
    runCannon({
      url: `${service.url}/v1/track`,
      headers,
      bodies: trackBodies,
      connections: opts['track-connections'],
      duration,
      label: 'track',
    })
  const bodyFile = join(work, 'batch.json')
  writeFileSync(bodyFile, batchBody)
  const batch = (duration) =>
    runCannon({
      url: `${service.url}/v1/batch`,
      headers,
      bodyFile,
      connections: opts['batch-connections'],
      duration,
      label: 'batch',
    })

  await phase('idle', () => new Promise((r) => setTimeout(() => r({ ok_per_s: 0 }), 1_000)))
  progress('warm-up')
  await phase('warm-up track', () => track(2))
  progress(`/v1/track ${S} s`)
  await phase('/v1/track', () => track(S))
  progress(`/v1/batch ${S} s`)
  await phase('/v1/batch', async () => {
    const r = await batch(S)
    return { ...r, ok_per_s: r.ok_per_s, events: r.ok_per_s * opts['batch-size'] * S }
  })
  const rows = phases.map(({ label, peak, result, cpu }) => {
    const events = label === '/v1/batch' ? result.ok_per_s * opts['batch-size'] : result.ok_per_s
    const seconds = label.startsWith('warm') ? 2 : S
    return [
      label,
      Math.round(events),
      ((cpu * 1e6) / (events * seconds)).toFixed(1),
      peak.rss.toFixed(0),
      `${peak.anon.toFixed(0)}/${peak.file.toFixed(0)}/${peak.shmem.toFixed(0)}`,
      peak.heapUsed?.toFixed(0),
      peak.heapTotal?.toFixed(0),
      peak.spaces.new?.toFixed(0),
      peak.spaces.old?.toFixed(0),
      peak.spaces.large_object?.toFixed(0),
      peak.external?.toFixed(0),
    ]
  })
  printTable(
    `service memory under load (node args: ${opts['node-args'] || 'none'})`,
    [
      'phase',
      'events/s',
      'CPU µs/event',
      'RSS peak',
      'anon/file/shm',
      'heap used',
      'heap total',
      'new space',
      'old space',
      'large obj',
      'external',
    ],
    rows,
  )
  printResult({
    rss_peak_mb: service.child.peakRssMb(),
    phases: phases.map((p) => ({ label: p.label, ...p.peak, cpu: p.cpu })),
  })
} finally {
  stopping = true
  for (const c of children.reverse()) await c.stop()
  rmSync(work, { recursive: true, force: true })
}
