/**
 * Runs `node dist/cli/index.js serve` as a real child process for tests: temp data directory,
 * port 0, a --ready-file to learn the actual port, /readyz polling, kill and restart.
 * Needs a build (`npm run build`, which `npm test` runs first).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { type RunningSandbox, startSandbox } from '../../src/sandbox/index.js'
import { CLI, captureOutput } from '../cli-child.js'

export { CLI }

export interface ServeOptions {
  /** Reused across restarts; a fresh temp directory when omitted. */
  dataDir?: string
  /** Extra command-line arguments after `serve --port 0 --data-dir DIR`. */
  args?: string[]
  env?: Record<string, string>
  cwd?: string
  /** Leave out --data-dir, --port and --ready-file (the quick-start test reads the banner instead). */
  bare?: boolean
}

export interface ServeProcess {
  child: ChildProcess
  url: string
  port: number
  sandboxUrl: string | null
  dataDir: string
  options: ServeOptions
  stdout(): string
  stderr(): string
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

export function tempDir(prefix = 'perkville-serve-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

/** Spawns the server without waiting for anything. */
export function spawnServe(options: ServeOptions = {}): {
  child: ChildProcess
  dataDir: string
  readyFile: string
  stdout(): string
  stderr(): string
  exited: ServeProcess['exited']
} {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` before the service tests`)
  const dataDir = options.dataDir ?? tempDir()
  const readyFile = join(dataDir, `ready-${process.pid}-${Date.now()}.json`)
  const base = options.bare ? [] : ['--port', '0', '--data-dir', dataDir, '--ready-file', readyFile]
  const child = spawn(process.execPath, [CLI, 'serve', ...base, ...(options.args ?? [])], {
    cwd: options.cwd ?? dataDir,
    env: { ...process.env, PERKVILLE_LOG_LEVEL: 'warn', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output = captureOutput(child)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.once('exit', (code, signal) => done({ code, signal }))
  })
  return { child, dataDir, readyFile, ...output, exited }
}

/** Starts the server and waits until its ready file exists and /readyz answers 200. */
export async function startServe(options: ServeOptions = {}, timeoutMs = 20_000): Promise<ServeProcess> {
  const spawned = spawnServe(options)
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null
  void spawned.exited.then((value) => {
    exit = value
  })
  const deadline = Date.now() + timeoutMs
  while (!existsSync(spawned.readyFile)) {
    if (exit !== null)
      throw new Error(
        `serve exited (${JSON.stringify(exit)}) before it was ready:\n${spawned.stderr()}${spawned.stdout()}`,
      )
    if (Date.now() > deadline) {
      spawned.child.kill('SIGKILL')
      throw new Error(`serve was not ready within ${timeoutMs} ms:\n${spawned.stderr()}${spawned.stdout()}`)
    }
    await sleep(25)
  }
  const ready = JSON.parse(readFileSync(spawned.readyFile, 'utf8')) as {
    url: string
    port: number
    sandboxUrl: string | null
  }
  await waitForReady(ready.url, Math.max(1000, deadline - Date.now()))
  return { ...spawned, url: ready.url, port: ready.port, sandboxUrl: ready.sandboxUrl, options }
}

export async function waitForReady(url: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last = ''
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/readyz`)
      if (res.status === 200) return
      last = `${res.status} ${await res.text()}`
    } catch (err) {
      last = (err as Error).message
    }
    await sleep(25)
  }
  throw new Error(`${url}/readyz did not answer 200 within ${timeoutMs} ms (last: ${last})`)
}

/** Sends a signal and waits for the exit. */
export async function stopServe(
  proc: Pick<ServeProcess, 'child' | 'exited'>,
  signal: NodeJS.Signals = 'SIGTERM',
) {
  if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill(signal)
  return proc.exited
}

/** Starts the server again on the same data directory (and the same options). */
export async function restartServe(
  proc: ServeProcess,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<ServeProcess> {
  await stopServe(proc, signal)
  return startServe({ ...proc.options, dataDir: proc.dataDir })
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(50)
  }
}

export function basicAuth(writeKey: string): string {
  return `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`
}

/**
 * A service started as a child process against a sandbox living in the test process: the sandbox
 * plays Perkville, which does not die when our service is killed, and its transactions are what
 * "reached Perkville exactly once" means. Deliveries are slowed so some are in flight at any moment.
 */
export interface ExternalSandboxFixture {
  sandbox: RunningSandbox
  dataDir: string
  args: string[]
  running: ServeProcess[]
  close(): Promise<void>
}

export async function externalSandboxFixture(opts: {
  writeKey: string
  latencyMs: number
  latencyJitterMs: number
}): Promise<ExternalSandboxFixture> {
  const sandbox = await startSandbox({ memory: true })
  sandbox.setFaults({ latencyMs: opts.latencyMs, latencyJitterMs: opts.latencyJitterMs, scope: 'writes' })
  const dataDir = tempDir('perkville-external-')
  const settings = writeSandboxSettings(dataDir, sandbox.token)
  const running: ServeProcess[] = []
  const args = [
    '--perkville-url',
    sandbox.url,
    '--settings',
    settings,
    '--write-key',
    opts.writeKey,
    '--concurrency',
    '8',
  ]
  return {
    sandbox,
    dataDir,
    args,
    running,
    async close() {
      for (const proc of running) await stopServe(proc, 'SIGKILL')
      await sandbox.close()
      removeDir(dataDir)
    },
  }
}

/** Destination settings for the sandbox's default business, written to `<dir>/settings.json`. */
export function writeSandboxSettings(
  dir: string,
  apiKey: string,
  eventToPerkMap: Record<string, number | string> = { 'Checked In': 3001 },
): string {
  const file = join(dir, 'settings.json')
  writeFileSync(file, JSON.stringify({ apiKey, businessId: 1001, locationId: 2001, eventToPerkMap }))
  return file
}

/**
 * Waits until every acknowledged key (as `keyOf` reads it from a sandbox transaction) is in the
 * sandbox and the service's queue is empty: after that, nothing more will be delivered.
 */
export async function waitForAllDelivered(
  fx: Pick<ExternalSandboxFixture, 'sandbox'>,
  serviceUrl: string,
  acknowledged: Iterable<string>,
  keyOf: (tx: ReturnType<RunningSandbox['transactions']>[number]) => string,
): Promise<void> {
  await eventually(
    () => {
      const seen = new Set(fx.sandbox.transactions().map(keyOf))
      return [...acknowledged].every((key) => seen.has(key)) ? true : undefined
    },
    30_000,
    'every acknowledged event in the sandbox',
  )
  await eventually(
    async () => {
      const ready = (await (await fetch(`${serviceUrl}/readyz`)).json()) as { queueDepth: number }
      return ready.queueDepth === 0 ? true : undefined
    },
    20_000,
    'an empty queue',
  )
}
