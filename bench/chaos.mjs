#!/usr/bin/env node
// npm run chaos — the fault harness. The service (a child process on its own data dir) takes realistic
// traffic from this process while it is killed with SIGKILL at random moments and restarted, and while
// the sandbox (another child process, with a data dir, outliving every kill) fails in every way it can.
// Then everything settles and the sandbox is reconciled against an independent model of what the rules
// send: every acknowledged event that must produce a transaction has exactly one, with the right
// quantity, and nothing else exists. Loopback only; bounded by --max-seconds.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseSettings } from '../dist/core/index.js'
import { BENCH_SETTINGS } from './event-mix.mjs'
import { options } from './lib/args.mjs'
import { ChaosTraffic } from './lib/chaos-events.mjs'
import { expectedTransactions, reconcile } from './lib/chaos-model.mjs'
import { freePort } from './lib/child.mjs'
import { metricSum } from './lib/metrics.mjs'
import { benchSchema, dropSchemas, pgArgs } from './lib/pg.mjs'
import { seeded } from './lib/random.mjs'
import { printNote, printResult, printTable, progress } from './lib/report.mjs'
import {
  authHeader,
  putFaults,
  sandboxCount,
  sandboxTransactions,
  startSandboxProcess,
  startServiceProcess,
  WRITE_KEY,
  writeSettingsFile,
} from './lib/stack.mjs'
import { sleep } from './lib/stats.mjs'

const opts = options({
  seconds: 60,
  kills: 6,
  rate: 150,
  senders: 6,
  'max-seconds': 175,
  seed: 0,
  'give-up': 0.1,
  'service-args': '',
  postgres: false,
  keep: false,
  // How the sandbox answers a duplicate trans_source_id (Perkville documents none): 409, 400 or existing.
  'duplicate-answer': '409',
})
// --postgres: the service keeps its events in a fresh schema of the local PostgreSQL (dropped at the end).
const pgSchema = opts.postgres ? benchSchema('chaos') : null
const seed = opts.seed || Date.now() % 2 ** 31
const rand = seeded(seed)
const started = Date.now()
const deadline = started + opts['max-seconds'] * 1000
const loadMs = opts.seconds * 1000

// What the sandbox does, by share of the load phase. Each fault the issue names is on for a while.
const FAULTS = [
  [0.0, 'none', {}],
  [0.1, '5xx (30%)', { errorRate: 0.3, errorStatus: 503 }],
  [0.22, '429 + Retry-After (30%)', { rateLimitRate: 0.3, retryAfter: 1 }],
  [0.34, 'hangs (8%)', { hangRate: 0.08 }],
  [0.46, 'commit-then-500 (30%)', { commitThenFailRate: 0.3, commitThenFailMode: 'error' }],
  [0.58, 'commit-then-disconnect (30%)', { commitThenFailRate: 0.3, commitThenFailMode: 'disconnect' }],
  [0.68, 'commit-then-hang (15%)', { commitThenFailRate: 0.15, commitThenFailMode: 'hang' }],
  // Writes slower than the client's 2 s timeout commit after the caller gave up: a lookup can miss
  // them and the resend meets the duplicate answer (--duplicate-answer), which must count as delivered.
  [0.72, 'slow writes past the timeout', { latencyMs: 1500, latencyJitterMs: 1500, scope: 'writes' }],
  [0.76, 'outage (503 for everything)', { outage: true }],
  [0.84, 'mixed light faults', { errorRate: 0.05, rateLimitRate: 0.05, commitThenFailRate: 0.05 }],
]

const work = mkdtempSync(join(tmpdir(), 'chaos-'))
const traffic = new ChaosTraffic(rand, seed.toString(36))
const stats = {
  requests: 0,
  acked_requests: 0,
  failed_attempts: 0,
  abandoned_requests: 0,
  bad_requests: 0,
  bad_requests_wrongly_answered: 0,
  unexpected_status: {},
  kills: 0,
  restarts: 0,
  faults: [],
}
let sandbox = null
let service = null
let serviceUrl = null
let servicePort = null
let exitCode = 0

try {
  progress(`seed ${seed}; duplicates answered ${opts['duplicate-answer']}; work dir ${work}`)
  sandbox = await startSandboxProcess({
    dataDir: join(work, 'sandbox'),
    extraArgs: ['--duplicate-answer', opts['duplicate-answer']],
  })
  const settingsFile = writeSettingsFile(work)
  const settings = parseSettings(BENCH_SETTINGS)
  servicePort = await freePort()
  const serviceArgs = {
    dataDir: join(work, 'service'),
    perkvilleUrl: sandbox.url,
    settingsFile,
    port: servicePort,
    // Hangs resolve in 2 s instead of 10; a refused token is re-checked every second.
    extraArgs: [
      '--perkville-timeout',
      '2s',
      '--credentials-probe',
      '1s',
      // A killed instance's leases are held until they expire on a shared database (another instance
      // may be alive): a short lease lets the queue settle within the harness's time limit.
      ...(pgSchema ? [...pgArgs(pgSchema), '--lease', '10s'] : []),
      ...opts['service-args'].split(' ').filter(Boolean),
    ],
  }
  service = await startServiceProcess(serviceArgs)
  serviceUrl = service.url
  progress(`service ${serviceUrl}, sandbox ${sandbox.origin}`)

  const loadStart = Date.now()
  const loadEnd = loadStart + loadMs
  const graceEnd = loadEnd + 25_000

  // ---- senders: the traffic, in batches and single events, retried until acknowledged ----
  const retryQueue = []
  let inFlight = 0
  let emittedEvents = 0
  const buildNew = () => {
    const now = Date.now()
    if (now >= loadEnd) return null
    const allowance = Math.floor((opts.rate * (now - loadStart)) / 1000) - emittedEvents
    if (allowance < 1) return null
    const n = Math.min(allowance, rand.chance(0.4) ? 1 : rand.int(2, 20))
    const events = []
    for (let i = 0; i < n; i++) events.push(traffic.next())
    emittedEvents += n
    const style = rand.next()
    if (n === 1 && style < 0.6) {
      const path = events[0].type === 'track' ? '/v1/track' : '/v1/identify'
      return { path, body: JSON.stringify(events[0]), events, contentType: 'application/json' }
    }
    if (style < 0.12) {
      // analytics.js style: short path, text/plain, the write key in the body.
      return {
        path: '/v1/b',
        body: JSON.stringify({ batch: events, writeKey: WRITE_KEY }),
        events,
        contentType: 'text/plain',
        noAuth: true,
      }
    }
    return {
      path: style < 0.2 ? '/v1/import' : '/v1/batch',
      body: JSON.stringify({ batch: events }),
      events,
      contentType: 'application/json',
    }
  }
  const send = async (req) => {
    const headers = { 'content-type': req.contentType }
    if (!req.noAuth) headers.authorization = authHeader()
    const res = await fetch(`${serviceUrl}${req.path}`, {
      method: 'POST',
      headers,
      body: req.body,
      signal: AbortSignal.timeout(5_000),
    })
    await res.arrayBuffer()
    return res.status
  }
  const sender = async () => {
    for (;;) {
      const now = Date.now()
      if (now >= graceEnd) return
      const req = retryQueue.length > 0 && retryQueue[0].at <= now ? retryQueue.shift() : buildNew()
      if (!req) {
        if (now >= loadEnd && retryQueue.length === 0 && inFlight === 0) return
        await sleep(5)
        continue
      }
      inFlight++
      stats.requests++
      let status = null
      try {
        status = await send(req)
      } catch {
        status = null
      }
      inFlight--
      if (status === 200) {
        stats.acked_requests++
        traffic.ack(req.events, Date.now())
      } else if (status === null || status >= 500 || status === 429) {
        // Not acknowledged (killed mid-request, not up yet, shutting down): retried as a client would,
        // except now and then a client that gives up, so some events stay unacknowledged for good.
        stats.failed_attempts++
        if (rand.chance(opts['give-up'])) {
          stats.abandoned_requests++
        } else {
          req.at = Date.now() + 150 + rand.int(0, 350)
          retryQueue.push(req)
        }
      } else {
        stats.unexpected_status[status] = (stats.unexpected_status[status] ?? 0) + 1
      }
    }
  }

  // ---- requests that must be refused: bad JSON (400) and a wrong write key (401) ----
  const refusals = async () => {
    while (Date.now() < loadEnd) {
      await sleep(2_000)
      for (const [body, auth, want] of [
        ['{"batch":[{"type":"track"', authHeader(), 400],
        [
          JSON.stringify({ batch: [traffic.base('Checked In', traffic.customer())] }),
          `Basic ${Buffer.from('wrong-key:').toString('base64')}`,
          401,
        ],
      ]) {
        try {
          const res = await fetch(`${serviceUrl}/v1/batch`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: auth },
            body,
            signal: AbortSignal.timeout(3_000),
          })
          await res.arrayBuffer()
          stats.bad_requests++
          if (res.status !== want) stats.bad_requests_wrongly_answered++
        } catch {
          // the service is down right now
        }
      }
    }
  }

  // ---- the killer: SIGKILL at random moments, restart on the same data dir and port ----
  const killTimes = []
  const span = Math.max(1, loadMs - 4_000)
  for (let tries = 0; killTimes.length < opts.kills && tries < 1000; tries++) {
    const t = 2_000 + rand.next() * span
    if (killTimes.every((k) => Math.abs(k - t) >= Math.min(3_000, span / (opts.kills + 1)))) killTimes.push(t)
  }
  killTimes.sort((a, b) => a - b)
  const killer = async () => {
    for (const t of killTimes) {
      const wait = loadStart + t - Date.now()
      if (wait > 0) await sleep(wait)
      await service.child.kill('SIGKILL')
      stats.kills++
      progress(`SIGKILL #${stats.kills} at ${((Date.now() - loadStart) / 1000).toFixed(1)} s`)
      await sleep(rand.int(0, 400))
      service = await startServiceProcess(serviceArgs)
      stats.restarts++
    }
  }

  // ---- the faults, switched on the sandbox over the load phase ----
  const faults = async () => {
    for (const [at, name, f] of FAULTS) {
      const wait = loadStart + at * loadMs - Date.now()
      if (wait > 0) await sleep(wait)
      await putFaults(sandbox.origin, f)
      stats.faults.push(name)
      progress(`sandbox faults: ${name}`)
    }
    const wait = loadEnd - Date.now()
    if (wait > 0) await sleep(wait)
    await putFaults(sandbox.origin, {})
    progress('sandbox faults: none (load phase over)')
  }

  const ticker = setInterval(() => {
    const acked = [...traffic.logical.values()].filter((l) => l.ackedAt !== null).length
    progress(
      `emitted ${traffic.emitted.length}, distinct ${traffic.logical.size}, acknowledged ${acked}, retry queue ${retryQueue.length}, kills ${stats.kills}`,
    )
  }, 5_000)
  await Promise.all([...Array.from({ length: opts.senders }, sender), refusals(), killer(), faults()])
  clearInterval(ticker)
  progress(`load over: ${stats.requests} requests, ${retryQueue.length} never acknowledged`)

  // ---- settle: wait until the service's queue is empty and the sandbox stops changing ----
  let depth = -1
  let last = -1
  let stable = 0
  while (Date.now() < deadline - 5_000) {
    try {
      depth = await metricSum(serviceUrl, 'perkville_queue_depth')
      const count = await sandboxCount(sandbox.origin)
      stable = depth === 0 && count === last ? stable + 1 : 0
      if (stable >= 3) break
      last = count
      progress(`settling: queue depth ${depth}, sandbox holds ${count} transactions`)
    } catch (err) {
      progress(`settling: ${err.message}`)
    }
    await sleep(1_000)
  }
  const settled = stable >= 3

  // ---- reconcile ----
  const model = expectedTransactions(settings, traffic.logical.values())
  const txs = await sandboxTransactions(sandbox.origin)
  const r = reconcile(model, txs)
  const sandboxStats = await (await fetch(`${sandbox.origin}/_sandbox/stats`)).json()
  const logical = [...traffic.logical.values()]
  const acknowledged = traffic.emitted.filter((id) => traffic.logical.get(id).ackedAt !== null).length
  const sent = traffic.emitted.length
  const ok =
    settled &&
    r.lost === 0 &&
    r.duplicates === 0 &&
    r.wrong_quantity === 0 &&
    r.unexpected === 0 &&
    r.delivered === r.expected_transactions &&
    r.expected_transactions > 0 &&
    stats.kills >= Math.min(5, opts.kills) &&
    stats.bad_requests_wrongly_answered === 0 &&
    Object.keys(stats.unexpected_status).length === 0
  exitCode = ok ? 0 : 1

  printTable(
    `chaos — seed ${seed}, ${opts.seconds} s of load at ~${opts.rate} events/s, duplicates answered ${opts['duplicate-answer']}`,
    ['figure', 'value'],
    [
      ['events sent (incl. verbatim resends)', sent],
      ['  distinct events', logical.length],
      ['  acknowledged (200)', acknowledged],
      ['  never acknowledged', sent - acknowledged],
      [
        'requests / acknowledged / failed attempts',
        `${stats.requests} / ${stats.acked_requests} / ${stats.failed_attempts}`,
      ],
      ['  requests given up after a failure', stats.abandoned_requests],
      [
        'bad requests refused (wrongly answered)',
        `${stats.bad_requests} (${stats.bad_requests_wrongly_answered})`,
      ],
      ['unexpected statuses', JSON.stringify(stats.unexpected_status)],
      ['SIGKILLs / restarts', `${stats.kills} / ${stats.restarts}`],
      ['settled (queue empty, sandbox still)', settled ? 'yes' : `NO (queue depth ${depth})`],
      ['expected transactions', r.expected_transactions],
      ['delivered exactly once', r.delivered],
      ['lost', r.lost],
      ['duplicates', r.duplicates],
      ['wrong quantity', r.wrong_quantity],
      ['unexpected transactions', r.unexpected],
      ['unacknowledged events delivered / absent', `${r.maybe_delivered} / ${r.maybe_absent}`],
      ['sandbox transactions', txs.length],
      [`duplicate POSTs answered ${opts['duplicate-answer']}`, sandboxStats.duplicates],
      ['verdict', ok ? 'PASS' : 'FAIL'],
    ],
  )
  printNote(`events by kind: ${JSON.stringify(traffic.counts)}`)
  printNote(`sandbox faults in turn: ${stats.faults.join(' → ')}`)
  if (r.examples.length > 0) printNote(`examples: ${JSON.stringify(r.examples)}`)
  printNote(`run time ${((Date.now() - started) / 1000).toFixed(0)} s; replay the mix with --seed ${seed}`)
  printResult({
    store: pgSchema ? 'postgres' : 'sqlite',
    duplicate_answer: opts['duplicate-answer'],
    duplicate_posts: sandboxStats.duplicates,
    sent,
    acknowledged,
    expected_transactions: r.expected_transactions,
    delivered: r.delivered,
    duplicates: r.duplicates,
    lost: r.lost,
    wrong_quantity: r.wrong_quantity,
    unexpected: r.unexpected,
    kills: stats.kills,
    unacknowledged: sent - acknowledged,
    maybe_delivered: r.maybe_delivered,
    maybe_absent: r.maybe_absent,
    settled,
    pass: ok,
    seed,
    seconds: Math.round((Date.now() - started) / 1000),
  })
} catch (err) {
  exitCode = 2
  process.stderr.write(`chaos harness failed: ${err.stack ?? err}\n`)
} finally {
  if (service) await service.child.stop()
  if (sandbox) await sandbox.child.stop()
  if (pgSchema) await dropSchemas([pgSchema]).catch(() => undefined)
  if (!opts.keep) rmSync(work, { recursive: true, force: true })
  process.exitCode = exitCode
}
