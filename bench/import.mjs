#!/usr/bin/env node
// bench:import — `perkville-destination import` of a CSV order export (100,000 rows by default) into a
// real service (SQLite) delivering to a real sandbox, each a child process. Figures: the import's rate
// (events/s acknowledged, --rate 0), the time of a second run of the same command (the checkpoint
// says everything is there) and of a third without the checkpoint (every event sent and acknowledged
// as a duplicate). Baseline, side by side on a fresh service: the same events pre-serialised and
// POSTed to /v1/import by a bare loop with the same batch size and requests in flight, so the ratio
// is the importer's own cost (reading, mapping, ids, checkpoint, progress) over the wire's.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { options } from './lib/args.mjs'
import { CLI } from './lib/child.mjs'
import { printNote, printResult, printTable, progress } from './lib/report.mjs'
import {
  authHeader,
  startSandboxProcess,
  startServiceProcess,
  WRITE_KEY,
  writeSettingsFile,
} from './lib/stack.mjs'

const opts = options({ rows: 100_000, 'batch-size': 500, concurrency: 4, keep: false })
const ROWS = opts.rows

const MAPPING = {
  event: 'Order Completed',
  email: 'Email',
  orderId: 'Name',
  revenue: 'Total',
  timestamp: 'Created at',
  refundColumn: 'Financial Status',
  refundValues: ['refunded'],
  refundEvent: 'Order Refunded',
}

/** A shop's order export: 10,000 customers, one order in 50 refunded (a later row). */
function writeOrders(file) {
  const rows = ['Name,Email,Created at,Total,Financial Status,Lineitem name']
  const start = Date.UTC(2024, 0, 1)
  for (let i = 1; rows.length <= ROWS; i++) {
    const email = `customer${i % 10_000}@example.com`
    const at = new Date(start + i * 97_000).toISOString().replace('T', ' ').slice(0, 19)
    const total = (((i * 7919) % 25_000) / 100 + 1).toFixed(2)
    rows.push(`#${1000 + i},${email},${at},${total},paid,"Membership, monthly"`)
    if (i % 50 === 0 && rows.length <= ROWS) rows.push(`#${1000 + i},${email},${at},1.00,refunded,`)
  }
  writeFileSync(file, `${rows.join('\n')}\n`)
}

function runCli(args, cwd) {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, [CLI, 'import', ...args], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => {
      out += d
    })
    child.stderr.on('data', (d) => {
      err += d
    })
    child.once('exit', (code) => {
      const ms = performance.now() - started
      try {
        resolve({ code, ms, summary: JSON.parse(out.trim().split('\n').at(-1)) })
      } catch {
        reject(new Error(`import exited ${code} without a summary:\n${err}`))
      }
    })
  })
}

/** The baseline: the same rows as events, bodies built before the clock starts, sent by a bare loop. */
async function bareImport(url, file) {
  const { readFileSync } = await import('node:fs')
  const [, ...lines] = readFileSync(file, 'utf8').trim().split('\n')
  const events = lines.map((line, n) => {
    const [name, email, at, total, status] = line.split(',')
    const refund = status === 'refunded'
    return JSON.stringify({
      type: 'track',
      event: refund ? 'Order Refunded' : 'Order Completed',
      userId: email,
      properties: { email, order_id: name, revenue: total },
      timestamp: `${at.replace(' ', 'T')}.000Z`,
      messageId: `bare-${n}`,
    })
  })
  const bodies = []
  for (let i = 0; i < events.length; i += opts['batch-size'])
    bodies.push(`{"batch":[${events.slice(i, i + opts['batch-size']).join(',')}]}`)
  const headers = { 'content-type': 'application/json', authorization: authHeader() }
  const started = performance.now()
  let next = 0
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]
        for (;;) {
          const res = await fetch(`${url}/v1/import`, { method: 'POST', headers, body })
          await res.arrayBuffer()
          if (res.status === 200) break
          if (res.status !== 503 && res.status !== 429) throw new Error(`bare import: ${res.status}`)
        }
      }
    }),
  )
  return { ms: performance.now() - started, events: events.length }
}

/** Until the service's queue is empty (every imported event delivered or finished). */
async function drained(url) {
  const deadline = Date.now() + 10 * 60_000
  while (Date.now() < deadline) {
    const ready = await (await fetch(`${url}/readyz`)).json()
    if (ready.queueDepth === 0) return
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  throw new Error('the backlog did not drain within 10 minutes')
}

async function withStack(work, name, fn) {
  const sandbox = await startSandboxProcess({})
  const service = await startServiceProcess({
    dataDir: join(work, `data-${name}`),
    perkvilleUrl: sandbox.url,
    settingsFile: writeSettingsFile(work),
  })
  try {
    return await fn(service.url)
  } finally {
    service.child.kill()
    sandbox.child.kill()
  }
}

const work = mkdtempSync(join(tmpdir(), 'bench-import-'))
try {
  const csv = join(work, 'orders.csv')
  writeOrders(csv)
  const mapping = join(work, 'mapping.json')
  writeFileSync(mapping, JSON.stringify(MAPPING))
  const common = ['--write-key', WRITE_KEY, '--mapping', mapping, '--rate', '0', '--json']
  const tuning = ['--batch-size', String(opts['batch-size']), '--concurrency', String(opts.concurrency)]

  progress(`baseline: ${ROWS.toLocaleString('en-US')} pre-serialised events POSTed by a bare loop`)
  const bareBefore = await withStack(work, 'bare-before', (url) => bareImport(url, csv))
  progress('import: the same rows through `perkville-destination import`')
  const runs = await withStack(work, 'import', async (url) => {
    const first = await runCli(['--url', url, ...common, ...tuning, csv], work)
    progress('waiting for the service to deliver the backlog, so the re-runs have the machine to themselves')
    await drained(url)
    progress('import again: the checkpoint says everything is there')
    const second = await runCli(['--url', url, ...common, ...tuning, csv], work)
    progress('import again without the checkpoint: every event acknowledged as a duplicate')
    const third = await runCli(['--url', url, ...common, ...tuning, '--no-checkpoint', csv], work)
    return { first, second, third }
  })
  progress('baseline again, so both sides saw the same machine')
  const bareAfter = await withStack(work, 'bare-after', (url) => bareImport(url, csv))
  const bare = { events: bareBefore.events, ms: (bareBefore.ms + bareAfter.ms) / 2 }
  const bareRate = (bare.events / bare.ms) * 1000
  const importRate = (runs.first.summary.accepted / runs.first.ms) * 1000
  printTable(
    `import of ${ROWS.toLocaleString('en-US')} CSV rows (batch ${opts['batch-size']}, ${opts.concurrency} in flight, --rate 0)`,
    ['run', 'seconds', 'events/s', 'accepted', 'new', 'duplicates'],
    [
      ['baseline: bare POST loop (mean of 2)', bare.ms / 1000, bareRate, bare.events, '-', '-'],
      [
        'import (first run)',
        runs.first.ms / 1000,
        importRate,
        runs.first.summary.accepted,
        runs.first.summary.queued,
        runs.first.summary.duplicates,
      ],
      ['same command again (checkpoint)', runs.second.ms / 1000, '-', runs.second.summary.accepted, '-', '-'],
      [
        'again, --no-checkpoint',
        runs.third.ms / 1000,
        (runs.third.summary.accepted / runs.third.ms) * 1000,
        runs.third.summary.accepted,
        runs.third.summary.queued,
        runs.third.summary.duplicates,
      ],
    ],
  )
  printNote(
    "Seconds include the CLI start-up and the pass that hashes and counts the file. The import rate is over the whole command; the baseline times only its requests. The re-runs start once the first run's events are delivered.",
  )
  printResult({
    rows: ROWS,
    importEventsPerSecond: importRate,
    bareEventsPerSecond: bareRate,
    importOverBare: importRate / bareRate,
    firstRunSeconds: runs.first.ms / 1000,
    secondRunSeconds: runs.second.ms / 1000,
    noCheckpointSeconds: runs.third.ms / 1000,
    exitCodes: [runs.first.code, runs.second.code, runs.third.code],
  })
} finally {
  if (!opts.keep) rmSync(work, { recursive: true, force: true })
}
