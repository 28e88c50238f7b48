#!/usr/bin/env node
// npm run bench — every benchmark in turn, each in its own process (as `npm run bench:<name>` would run
// it), their tables passed through, and one JSON line at the end with every figure by benchmark.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { progress } from './lib/report.mjs'

const BENCHES = ['core', 'ingest', 'delivery', 'backlog']
const all = {}
let failed = false
for (const name of BENCHES) {
  progress(`=== bench:${name} ===`)
  const file = fileURLToPath(new URL(`./${name}.mjs`, import.meta.url))
  const { code, last } = await new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'] })
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
process.stdout.write(`\n${JSON.stringify(all)}\n`)
process.exitCode = failed ? 1 : 0
