import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const WORKER = fileURLToPath(new URL('./cannon-worker.mjs', import.meta.url))

/** Runs autocannon in a separate process (see cannon-worker.mjs) and resolves with its summary. */
export function runCannon(config) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, JSON.stringify(config)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (c) => {
      out += c
    })
    child.stderr.on('data', (c) => {
      err += c
      process.stderr.write(c)
    })
    child.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1)
      try {
        resolve(JSON.parse(last))
      } catch {
        reject(new Error(`autocannon worker failed (exit ${code}): ${err.slice(-2000)}`))
      }
    })
  })
}

/** HTTP Basic with the write key as user name, as Segment's libraries send it. */
export function basicAuth(writeKey) {
  return `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`
}
