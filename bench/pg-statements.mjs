#!/usr/bin/env node
// Where PostgreSQL's time goes in bench:pg's drain: a pre-loaded queue drained by two service
// processes, then the heaviest statements from pg_stat_statements (calls, time, rows, buffers), per
// delivered event. Needs a PostgreSQL started with shared_preload_libraries=pg_stat_statements, given
// by PERKVILLE_BENCH_DATABASE_URL (never the shared test instance: the statistics are reset).
// PERKVILLE_BENCH_CLI runs another build (an older commit's dist/cli/index.js) for a before/after pair.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { options } from './lib/args.mjs'
import { BENCH_DATABASE_URL, benchSchema, dropSchemas, pgArgs } from './lib/pg.mjs'
import { drainQueue, preloadQueue } from './lib/queue.mjs'
import { printResult, printTable, progress } from './lib/report.mjs'
import { startSandboxProcess } from './lib/stack.mjs'

const opts = options({ events: 4_000, concurrency: 32, 'latency-ms': 20, top: 15 })
const work = mkdtempSync(join(tmpdir(), 'bench-pgss-'))
const children = []
const schema = benchSchema('pgss')
const db = new pg.Client({ connectionString: BENCH_DATABASE_URL })
await db.connect()
try {
  await db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements')
  const sandbox = await startSandboxProcess({ latencyMs: opts['latency-ms'] })
  children.push(sandbox.child)
  const extraArgs = [...pgArgs(schema), '--concurrency', String(opts.concurrency)]
  await db.query('SELECT pg_stat_statements_reset()')
  const pre = await preloadQueue({ work, sandbox, n: opts.events, prefix: 'pgss', extraArgs })
  statementsTable(await statements(), pre.queued, 'accepted (the pre-load)')
  await db.query('SELECT pg_stat_statements_reset()')
  const cpu0 = await backendCpu()
  progress('drain: two instances')
  const d = await drainQueue({ work, sandbox, dataDir: pre.dataDir, n: pre.queued, extraArgs, instances: 2 })
  for (const s of d.services) children.push(s.child)
  const cpu1 = await backendCpu()
  if (!d.done) throw new Error(`the queue did not drain: ${d.delivered} of ${pre.queued} delivered`)
  for (const s of d.services) await s.child.stop()
  const rows = await statements()
  statementsTable(rows, d.delivered, 'delivered')
  const total = rows.reduce((a, r) => a + r.total_exec_time, 0)
  printResult({
    delivered: d.delivered,
    delivered_per_s: d.rate,
    statements_exec_ms_per_event: total / d.delivered,
    calls_per_event: rows.reduce((a, r) => a + Number(r.calls), 0) / d.delivered,
    pg_cpu_ms_per_event: cpu1 === null || cpu0 === null ? null : ((cpu1 - cpu0) * 1000) / d.delivered,
  })
} finally {
  await dropSchemas([schema]).catch(() => undefined)
  await db.end()
  for (const c of children) await c.stop().catch(() => undefined)
  rmSync(work, { recursive: true, force: true })
}

async function statements() {
  const res = await db.query(
    `SELECT calls, total_exec_time, rows, shared_blks_hit + shared_blks_read AS blocks,
            regexp_replace(query, '\\s+', ' ', 'g') AS query
       FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'
      ORDER BY total_exec_time DESC`,
  )
  return res.rows
}

function statementsTable(rows, n, what) {
  const per = (x) => Number(x) / n
  printTable(
    `pg_stat_statements per ${what} event (${n} events, top ${opts.top})`,
    ['calls/ev', 'exec µs/ev', 'rows/ev', 'blocks/ev', 'statement'],
    rows
      .slice(0, opts.top)
      .map((r) => [
        per(r.calls).toFixed(3),
        (per(r.total_exec_time) * 1000).toFixed(1),
        per(r.rows).toFixed(2),
        per(r.blocks).toFixed(1),
        r.query.slice(0, 110),
      ]),
  )
}

/** CPU seconds of this database server's processes (its postmaster and children), read from /proc. */
async function backendCpu() {
  const { rows } = await db.query(`SELECT pg_backend_pid() AS pid`)
  const { readFileSync, readdirSync } = await import('node:fs')
  const stat = (pid) => {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return s.slice(s.lastIndexOf(')') + 2).split(' ')
  }
  let postmaster
  try {
    postmaster = Number(stat(rows[0].pid)[1])
  } catch {
    return null
  }
  let ticks = Number(stat(postmaster)[13]) + Number(stat(postmaster)[14]) // reaped children
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    try {
      const f = stat(pid)
      if (Number(pid) === postmaster || Number(f[1]) === postmaster) ticks += Number(f[11]) + Number(f[12])
    } catch {}
  }
  return ticks / 100
}
