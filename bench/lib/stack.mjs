// The pieces the service benchmarks and the fault harness run: the sandbox and the delivery service,
// each a child process of the built CLI on loopback, plus the small HTTP calls made to them.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BENCH_SETTINGS } from '../event-mix.mjs'
import { CLI, freePort, startChild } from './child.mjs'
import { sleep } from './stats.mjs'

export const SANDBOX_TOKEN = 'sandbox-token'
export const WRITE_KEY = 'bench-write-key'
export const ADMIN_TOKEN = 'bench-admin-token'

/** `perkville-destination sandbox` on a free port; `faults` uses the fields of PUT /_sandbox/faults. */
export async function startSandboxProcess({
  dataDir = null,
  latencyMs = 0,
  port = null,
  extraArgs = [],
} = {}) {
  const p = port ?? (await freePort())
  const args = [CLI, 'sandbox', '--port', String(p)]
  if (dataDir) args.push('--data-dir', dataDir)
  else args.push('--memory')
  if (latencyMs > 0) args.push('--latency-ms', String(latencyMs))
  args.push(...extraArgs)
  const child = await startChild({ name: 'sandbox', args, ready: `http://127.0.0.1:${p}/healthz` })
  const origin = `http://127.0.0.1:${p}`
  return { child, origin, url: `${origin}/v2/`, port: p }
}

/** The settings file the service is started with (the sandbox's seeded business and perks). */
export function writeSettingsFile(dir, overrides = {}) {
  mkdirSync(dir, { recursive: true })
  const file = join(dir, 'settings.json')
  writeFileSync(file, JSON.stringify({ ...BENCH_SETTINGS, ...overrides }))
  return file
}

/**
 * `perkville-destination serve` against `perkvilleUrl`, on `port` (0: any), logging warnings only.
 * Resolves once its ready file exists and /readyz answers.
 */
export async function startServiceProcess({
  dataDir,
  perkvilleUrl,
  settingsFile,
  port = 0,
  extraArgs = [],
  nodeArgs = [],
  logLevel = 'warn',
}) {
  mkdirSync(dataDir, { recursive: true })
  const readyFile = join(dataDir, '..', `ready-${Date.now()}-${Math.floor(Math.random() * 1e6)}.json`)
  rmSync(readyFile, { force: true })
  const args = [
    CLI,
    'serve',
    '--port',
    String(port),
    '--data-dir',
    dataDir,
    '--write-key',
    WRITE_KEY,
    '--admin-token',
    ADMIN_TOKEN,
    '--settings',
    settingsFile,
    '--perkville-url',
    perkvilleUrl,
    '--log-level',
    logLevel,
    '--ready-file',
    readyFile,
    ...extraArgs,
  ]
  // PERKVILLE_BENCH_SERVICE_NODE_ARGS (space-separated, e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`)
  // reaches every service process a benchmark starts, for profiling one phase without editing it.
  const fromEnv = process.env.PERKVILLE_BENCH_SERVICE_NODE_ARGS?.split(' ').filter(Boolean) ?? []
  const child = await startChild({ name: 'service', args, nodeArgs: [...fromEnv, ...nodeArgs], ready: null })
  const deadline = Date.now() + 30_000
  while (!existsSync(readyFile)) {
    if (!child.alive()) throw new Error(`service exited before it was ready\n${child.output()}`)
    if (Date.now() > deadline) {
      child.kill()
      throw new Error(`service not ready within 30 s\n${child.output()}`)
    }
    await sleep(25)
  }
  const ready = JSON.parse(readFileSync(readyFile, 'utf8'))
  rmSync(readyFile, { force: true })
  return { child, url: ready.url, port: ready.port }
}

export async function putFaults(origin, faults) {
  const res = await fetch(`${origin}/_sandbox/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  })
  if (!res.ok) throw new Error(`PUT /_sandbox/faults answered ${res.status}: ${await res.text()}`)
  return res.json()
}

/** How many transactions the sandbox holds (one cheap counted query). */
export async function sandboxCount(origin) {
  const res = await fetch(`${origin}/v2/transactions/?business=${BENCH_SETTINGS.businessId}&limit=1`, {
    headers: { authorization: `Bearer ${SANDBOX_TOKEN}` },
    signal: AbortSignal.timeout(10_000),
  })
  if (!res.ok) throw new Error(`sandbox count answered ${res.status}`)
  return (await res.json()).meta.total_count
}

/** Every transaction the sandbox holds. */
export async function sandboxTransactions(origin) {
  const res = await fetch(`${origin}/_sandbox/transactions`, { signal: AbortSignal.timeout(60_000) })
  if (!res.ok) throw new Error(`GET /_sandbox/transactions answered ${res.status}`)
  return (await res.json()).objects
}

export function authHeader() {
  return `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`
}

/** POSTs JSON to the service; resolves with the HTTP status (or throws on a network error). */
export async function postJson(url, body, timeoutMs = 30_000) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: authHeader() },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  })
  await res.arrayBuffer()
  return res.status
}

/** Sends `events` through /v1/batch in chunks of `size`, `parallel` requests at a time; throws on a non-200. */
export async function loadBatches(serviceUrl, events, { size = 100, parallel = 4, onProgress } = {}) {
  let next = 0
  let sent = 0
  const worker = async () => {
    for (;;) {
      const start = next
      next += size
      if (start >= events.length) return
      const chunk = events.slice(start, start + size)
      const status = await postJson(`${serviceUrl}/v1/batch`, { batch: chunk })
      if (status !== 200) throw new Error(`/v1/batch answered ${status}`)
      sent += chunk.length
      onProgress?.(sent)
    }
  }
  await Promise.all(Array.from({ length: parallel }, worker))
}

/** Polls until `fn()` is true or `timeoutMs` passes; resolves with whether it became true. */
export async function waitFor(fn, { timeoutMs, intervalMs = 200, onTick } = {}) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await fn()
    onTick?.(value)
    if (value === true) return true
    if (Date.now() > deadline) return false
    await sleep(intervalMs)
  }
}
