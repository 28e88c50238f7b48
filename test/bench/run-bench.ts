import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export interface BenchRun {
  code: number | null
  stdout: string
  stderr: string
  /** The last stdout line, parsed: every benchmark and the harness end with one JSON object. */
  result: Record<string, unknown>
}

/** Runs bench/<script> as its own process, the way `npm run` does, and parses its last line. */
export function runBench(script: string, args: string[]): Promise<BenchRun> {
  const file = fileURLToPath(new URL(`../../bench/${script}`, import.meta.url))
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c) => {
      stdout += c
    })
    child.stderr.on('data', (c) => {
      stderr += c
    })
    child.on('error', reject)
    child.on('exit', (code) => {
      const last = stdout.trim().split('\n').at(-1) ?? ''
      let result: Record<string, unknown>
      try {
        result = JSON.parse(last) as Record<string, unknown>
      } catch {
        reject(
          new Error(
            `${script}: last line is not JSON (exit ${code}):\n${last}\n--- stderr ---\n${stderr.slice(-3000)}`,
          ),
        )
        return
      }
      resolve({ code, stdout, stderr, result })
    })
  })
}
