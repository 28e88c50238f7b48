/** Runs the built `perkville-destination import` as a child process, and makes test histories. */
import { type ChildProcess, spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CLI, captureOutput } from '../cli-child.js'

export interface ImportRun {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface SpawnedImport {
  child: ChildProcess
  stdout(): string
  stderr(): string
  done: Promise<ImportRun>
}

export function spawnImport(args: string[], cwd: string, input?: string): SpawnedImport {
  const child = spawn(process.execPath, [CLI, 'import', ...args], {
    cwd,
    env: withoutImportEnv(),
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  const output = captureOutput(child)
  if (input !== undefined) child.stdin?.end(input)
  else child.stdin?.end()
  const done = new Promise<ImportRun>((resolve) =>
    child.once('exit', (code, signal) =>
      resolve({ code, signal, stdout: output.stdout(), stderr: output.stderr() }),
    ),
  )
  return { child, ...output, done }
}

/** This process's environment without the variables `import` reads, so only the arguments count. */
function withoutImportEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const name of ['PERKVILLE_WRITE_KEY', 'PERKVILLE_SERVICE_URL', 'PERKVILLE_ADMIN_TOKEN'])
    delete env[name]
  return env
}

export function runImport(args: string[], cwd: string, input?: string): Promise<ImportRun> {
  return spawnImport(args, cwd, input).done
}

/** The `--json` summary of a finished run (its only stdout line). */
export function summaryOf(run: ImportRun): Record<string, unknown> {
  const line = run.stdout.trim().split('\n').at(-1) ?? ''
  try {
    return JSON.parse(line) as Record<string, unknown>
  } catch {
    throw new Error(`no JSON summary (exit ${run.code}):\nstdout: ${run.stdout}\nstderr: ${run.stderr}`)
  }
}

export interface ExpectedAward {
  email: string
  perk: number
  quantity: number
  at: string
}

/**
 * `count` check-ins without messageIds, by `count / 10` customers, each at its own minute; the last
 * two lines are the same check-in twice (the same content: two real visits, two awards).
 */
export function checkInHistory(dir: string, count: number): { file: string; expected: ExpectedAward[] } {
  const lines: string[] = []
  const expected: ExpectedAward[] = []
  const start = Date.UTC(2025, 0, 1)
  for (let i = 0; i < count; i++) {
    const n = i === count - 1 ? count - 2 : i
    const email = `member${n % Math.max(1, Math.floor(count / 10))}@example.com`
    const at = new Date(start + n * 60_000).toISOString()
    lines.push(
      JSON.stringify({
        type: 'track',
        event: 'Checked In',
        userId: `u-${email}`,
        properties: { email },
        timestamp: at,
      }),
    )
    expected.push({ email, perk: 3001, quantity: 1, at })
  }
  const file = join(dir, 'check-ins.jsonl')
  writeFileSync(file, `${lines.join('\n')}\n`)
  return { file, expected }
}

/** The multiset of awards as comparable strings. */
export function awardKeys(
  awards: Array<{ email: string; perk: number; quantity: number; at: string }>,
): string[] {
  return awards.map((a) => `${a.email}|${a.perk}|${a.quantity}|${a.at}`).sort()
}
