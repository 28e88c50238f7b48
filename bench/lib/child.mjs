// Child processes for benchmarks and the fault harness: the built CLI (dist/) and our own helpers,
// started on loopback, waited on until they answer, and stopped by their own pid only.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { sleep } from './stats.mjs'

// PERKVILLE_BENCH_CLI points the benchmarks at another build (e.g. a patched copy, for an A/B run).
export const CLI =
  process.env.PERKVILLE_BENCH_CLI ?? fileURLToPath(new URL('../../dist/cli/index.js', import.meta.url))
export const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url))

/** A port the OS says is free right now (127.0.0.1). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/**
 * Starts `node <args>` and keeps the last lines of its output for error messages. `ready` is a
 * RegExp matched against each output line, or a URL polled until it answers 2xx; either way the
 * returned promise settles once the child is usable, or rejects with its output when it exits first.
 */
export async function startChild({ name, args, env = {}, ready, timeoutMs = 30_000, nodeArgs = [] }) {
  const proc = spawn(process.execPath, [...nodeArgs, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const tail = []
  const lineListeners = new Set()
  const onData = (chunk) => {
    for (const line of chunk.toString().split('\n')) {
      if (line === '') continue
      tail.push(line)
      if (tail.length > 60) tail.shift()
      for (const l of lineListeners) l(line)
    }
  }
  proc.stdout.on('data', onData)
  proc.stderr.on('data', onData)
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })))
  const handle = {
    name,
    proc,
    pid: proc.pid,
    exited,
    alive: () => proc.exitCode === null && proc.signalCode === null,
    output: () => tail.join('\n'),
    onLine: (fn) => lineListeners.add(fn),
    kill: (signal = 'SIGKILL') => {
      if (handle.alive()) proc.kill(signal)
      return exited
    },
    /** SIGTERM, then SIGKILL after `graceMs`; resolves with how it ended. */
    stop: async (graceMs = 12_000) => {
      if (!handle.alive()) return exited
      proc.kill('SIGTERM')
      const timer = setTimeout(() => handle.alive() && proc.kill('SIGKILL'), graceMs)
      const result = await exited
      clearTimeout(timer)
      return result
    },
    /** Peak resident set size so far, in MB (Linux VmHWM), or null where /proc is missing. */
    peakRssMb: () => procStatusMb(proc.pid, 'VmHWM'),
    rssMb: () => procStatusMb(proc.pid, 'VmRSS'),
    /** CPU seconds (user + system) the child used so far, or null where /proc is missing. */
    cpuSeconds: () => procCpuSeconds(proc.pid),
  }

  let readyMatch = null
  const deadline = Date.now() + timeoutMs
  const failure = (why) =>
    new Error(`${name} ${why}\n--- last output of ${name} ---\n${handle.output() || '(none)'}`)
  if (ready instanceof RegExp) {
    readyMatch = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(failure(`not ready within ${timeoutMs} ms`)), timeoutMs)
      lineListeners.add(function watch(line) {
        const m = ready.exec(line)
        if (m) {
          clearTimeout(timer)
          lineListeners.delete(watch)
          resolve(m)
        }
      })
      exited.then(({ code, signal }) => {
        clearTimeout(timer)
        reject(failure(`exited before it was ready (code ${code}, signal ${signal})`))
      })
    })
  } else if (typeof ready === 'string') {
    for (;;) {
      if (!handle.alive()) {
        const { code, signal } = await exited
        throw failure(`exited before it was ready (code ${code}, signal ${signal})`)
      }
      if (Date.now() > deadline) {
        handle.kill()
        throw failure(`did not answer ${ready} within ${timeoutMs} ms`)
      }
      try {
        const res = await fetch(ready, { signal: AbortSignal.timeout(1_000) })
        await res.arrayBuffer()
        if (res.ok) break
      } catch {
        // not listening yet
      }
      await sleep(50)
    }
  }
  handle.match = readyMatch
  return handle
}

function procStatusMb(pid, field) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)
    return m ? Number(m[1]) / 1024 : null
  } catch {
    return null
  }
}

function procCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(f[11]) + Number(f[12])) / 100
  } catch {
    return null
  }
}
