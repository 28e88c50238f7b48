#!/usr/bin/env node
// npm run bench — every benchmark in turn, each in its own process (as `npm run bench:<name>` would run
// it), on both stores; their tables passed through, then one table with every goal of issue 15 beside its
// figure and its baseline from this same run, and one JSON line at the end with every figure by benchmark.
// `--million` makes the backlogs 1,000,000 events (long: see docs/benchmarks.md); `--no-postgres` skips
// the PostgreSQL runs (shown as not run).
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { options } from './lib/args.mjs'
import { goals } from './lib/goals.mjs'
import { printTable, progress, round } from './lib/report.mjs'

const opts = options({ million: false, 'no-postgres': false })
const backlogArgs = opts.million ? ['--million'] : []
const RUNS = [
  ['core', 'core.mjs', []],
  ['ingest', 'ingest.mjs', []],
  ['delivery', 'delivery.mjs', []],
  ['backlog', 'backlog.mjs', backlogArgs],
  ...(opts['no-postgres']
    ? []
    : [
        ['postgres', 'postgres.mjs', []],
        ['backlog-postgres', 'backlog.mjs', ['--postgres', ...backlogArgs]],
      ]),
]
const all = {}
let failed = false
const started = Date.now()
for (const [name, script, args] of RUNS) {
  progress(`=== bench:${name} ===`)
  const file = fileURLToPath(new URL(`./${script}`, import.meta.url))
  const { code, last } = await new Promise((resolve) => {
    const child = spawn(process.execPath, [file, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (c) => {
      out += c
      process.stdout.write(c)
    })
    child.on('exit', (code) => resolve({ code, last: out.trim().split('\n').at(-1) }))
  })
  try {
    all[name] = JSON.parse(last)
  } catch {
    all[name] = { error: `exit ${code}` }
  }
  if (code !== 0) failed = true
}

const rows = goals(all)
const show = (v, unit) => (v === null ? '-' : `${round(v).toLocaleString('en-US')}${unit ? ` ${unit}` : ''}`)
printTable(
  `Every goal of issue 15 — one run, ${new Date().toISOString().slice(0, 16)}Z, ${((Date.now() - started) / 60000).toFixed(1)} min${opts.million ? ', 1,000,000-event backlogs' : ', backlogs 10k / 100k (--million for 1M)'}`,
  ['goal', 'figure', 'target', 'baseline (same run)', 'figure ÷ baseline', 'verdict'],
  rows.map((g) => [
    g.goal,
    show(g.figure, g.unit),
    g.target,
    g.baseline === null ? '-' : `${show(g.baseline, '')} (${g.baseline_name})`,
    g.ratio === null ? '-' : g.ratio.toFixed(2),
    g.verdict,
  ]),
)
all.goals = Object.fromEntries(
  rows.map((g) => [g.goal, { figure: g.figure, ratio: g.ratio, verdict: g.verdict }]),
)
process.stdout.write(`\n${JSON.stringify(all)}\n`)
process.exitCode = failed ? 1 : 0
