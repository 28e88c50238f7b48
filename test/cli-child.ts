/** What the tests that run the built CLI (dist/) as a child process share. */
import type { ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const CLI = fileURLToPath(new URL('../dist/cli/index.js', import.meta.url))

export interface CapturedOutput {
  stdout(): string
  stderr(): string
}

/** Collects a child's standard output and error as text (decoded as UTF-8 across chunk boundaries). */
export function captureOutput(child: ChildProcess): CapturedOutput {
  let out = ''
  let err = ''
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d
  })
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d
  })
  return { stdout: () => out, stderr: () => err }
}

/** A server program a test runs in the foreground (PgBouncer, nginx), with the directory of its files. */
export interface TestDaemon {
  /** Its standard output and error so far. */
  log(): string
  /** SIGTERM, wait for the exit, remove its directory. */
  stop(): Promise<void>
}

export function testDaemon(child: ChildProcess, dir: string): TestDaemon {
  const output = captureOutput(child)
  const exited = new Promise<void>((done) => child.once('exit', () => done()))
  return {
    log: () => output.stdout() + output.stderr(),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
