/** What the tests that run the built CLI (dist/) as a child process share. */
import type { ChildProcess } from 'node:child_process'
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
