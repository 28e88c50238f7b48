/** Runs the built CLI (dist/) as a child process: the sandbox as a server, other commands to completion. */
import { type ChildProcess, spawn } from 'node:child_process'
import { CLI, captureOutput } from '../cli-child.js'

export { CLI }

export interface SandboxChild {
  url: string
  origin: string
  token: string
  child: ChildProcess
  output: () => string
  /** Sends the signal and resolves with the exit code once the process ended. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

export function startSandboxChild(args: string[] = []): Promise<SandboxChild> {
  const child = spawn(process.execPath, [CLI, 'sandbox', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const { stdout, stderr } = captureOutput(child)
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return new Promise((resolve, reject) => {
    const onData = () => {
      const url = /^url: (\S+)$/m.exec(stdout())?.[1]
      const token = /^token: (\S+)$/m.exec(stdout())?.[1]
      if (!url || !token) return
      child.stdout?.off('data', onData)
      resolve({
        url,
        origin: new URL(url).origin,
        token,
        child,
        output: () => stdout() + stderr(),
        stop: (signal = 'SIGTERM') => {
          child.kill(signal)
          return exited
        },
      })
    }
    child.stdout?.on('data', onData)
    void exited.then((code) =>
      reject(new Error(`sandbox exited (${code}) before printing its URL: ${stdout()}${stderr()}`)),
    )
  })
}

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
}

export function runCli(args: string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    const output = captureOutput(child)
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout: output.stdout(), stderr: output.stderr() }))
  })
}
