#!/usr/bin/env node
// Runs one autocannon load in its own process (so the load generator never shares a CPU thread with
// the harness) and prints a JSON summary as its last stdout line. The config comes as JSON in argv[2]:
// { url, method, headers, body | bodyFile | bodies (cycled), connections, duration, amount, overallRate, label }.
// `[<id>]` in the body is replaced per request by autocannon with a fresh unique id.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const autocannon = require('autocannon')
const cfg = JSON.parse(process.argv[2])
// A body too large for a command line (E2BIG past 128 KB) comes as a file.
if (cfg.bodyFile) cfg.body = readFileSync(cfg.bodyFile, 'utf8')

const instance = autocannon({
  url: cfg.url,
  method: cfg.method ?? 'POST',
  headers: cfg.headers ?? {},
  ...(cfg.bodies ? { requests: cfg.bodies.map((body) => ({ body })) } : { body: cfg.body }),
  idReplacement: [cfg.body, ...(cfg.bodies ?? [])].some((b) => typeof b === 'string' && b.includes('[<id>]')),
  connections: cfg.connections ?? 10,
  pipelining: 1,
  ...(cfg.amount ? { amount: cfg.amount } : { duration: cfg.duration ?? 10 }),
  ...(cfg.overallRate ? { overallRate: cfg.overallRate } : {}),
  timeout: cfg.timeout ?? 30,
})

let done = 0
let bad = 0
instance.on('response', (_client, status) => {
  done++
  if (status !== 200) bad++
})
const started = Date.now()
const ticker = setInterval(() => {
  const s = (Date.now() - started) / 1000
  process.stderr.write(
    `  ${cfg.label ?? 'load'}: ${s.toFixed(0)} s, ${done} answers (${Math.round(done / s)}/s), ${bad} not 200\n`,
  )
}, 2_000)

instance.on('done', (r) => {
  clearInterval(ticker)
  const ok = r['2xx'] ?? 0
  const summary = {
    requests: r.requests.total,
    ok,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    duration_s: r.duration,
    ok_per_s: ok / r.duration,
    req_per_s_mean: r.requests.mean,
    latency_ms: {
      p50: r.latency.p50,
      p90: r.latency.p90,
      p99: r.latency.p99,
      mean: r.latency.mean,
      max: r.latency.max,
    },
    throughput_bytes_per_s: r.throughput.mean,
  }
  process.stdout.write(`${JSON.stringify(summary)}\n`)
})
