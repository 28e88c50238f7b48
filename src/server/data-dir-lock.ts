import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'

/** The file that says which process owns a data directory. */
export const LOCK_FILE = 'service.lock'

interface Holder {
  pid: number
  host: string
  startedAt: string
}

export interface DataDirLock {
  readonly path: string
  /** Removes the lock, unless another process has taken it over meanwhile. */
  release(): void
}

/** A live process owns the data directory: starting a second one on it would take its queue. */
export class DataDirLockedError extends Error {
  constructor(dataDir: string, lockPath: string, holder: Holder | null) {
    const who =
      holder === null
        ? 'another process (its lock file cannot be read)'
        : `process ${holder.pid} on ${holder.host}, started ${holder.startedAt}`
    super(
      `the data directory ${dataDir} is in use by ${who}. Stop that instance, or give this one its own ` +
        `--data-dir. If no such instance is running, delete ${lockPath}.`,
    )
    this.name = 'DataDirLockedError'
  }
}

/**
 * One instance per data directory: the queue, the generated secrets and the embedded sandbox in it
 * belong to one process. The lock is a file created exclusively (`wx`); a lock left by a process
 * that died (same host, pid gone, a zombie, or our own pid again after a container restart) is taken over,
 * so a SIGKILL never needs a manual clean-up. A lock from another host cannot be checked and is
 * honoured. Throws DataDirLockedError before touching anything else in the directory.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const path = join(dataDir, LOCK_FILE)
  const me: Holder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() }
  const content = `${JSON.stringify(me)}\n`
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(path, content, { flag: 'wx', mode: 0o600 })
      return {
        path,
        release: () => {
          if (readFileSafe(path) === content) rmSync(path, { force: true })
        },
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    const text = readFileSafe(path)
    if (text === null) continue // removed between our two calls: try again
    const holder = parseHolder(text)
    // An unreadable lock is fresh only for a moment (a starter between create and write).
    const alive = holder === null ? Date.now() - mtimeOf(path) < TORN_LOCK_GRACE_MS : isAlive(holder)
    if (alive) throw new DataDirLockedError(dataDir, path, holder)
    // Stale: move it aside under a name only we use, so two starters cannot both remove a fresh lock.
    const aside = `${path}.stale-${process.pid}`
    try {
      renameSync(path, aside)
      rmSync(aside, { force: true })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
  }
  throw new DataDirLockedError(dataDir, path, parseHolder(readFileSafe(path) ?? ''))
}

const TORN_LOCK_GRACE_MS = 2_000

function mtimeOf(path: string): number {
  try {
    return statSync(path).mtimeMs
  } catch {
    return 0
  }
}

function isAlive(holder: Holder): boolean {
  if (holder.host !== hostname()) return true
  if (holder.pid === process.pid) return false
  const state = procState(holder.pid)
  if (state !== undefined) return state !== null && !DEAD_STATES.has(state)
  try {
    process.kill(holder.pid, 0)
    return true
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * A process killed but not yet reaped by its parent (a zombie, `Z`) still answers `kill(pid, 0)`,
 * which refused an immediate restart after kill -9; it holds nothing, so it counts as dead.
 */
const DEAD_STATES = new Set(['Z', 'X', 'x'])

/**
 * The process's state letter from /proc/<pid>/stat (Linux): null when there is no such process,
 * undefined where /proc cannot tell (another system), so the caller falls back to kill(pid, 0).
 */
function procState(pid: number): string | null | undefined {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    return code === 'ENOENT' && existsSync('/proc/self/stat') ? null : undefined
  }
  // "pid (comm) S ...": the name may hold spaces and parentheses, the state follows the last ")".
  const state = stat.slice(stat.lastIndexOf(')') + 1).trim()[0]
  return state ?? undefined
}

function parseHolder(text: string): Holder | null {
  try {
    const value = JSON.parse(text) as Partial<Holder>
    if (
      typeof value.pid === 'number' &&
      typeof value.host === 'string' &&
      typeof value.startedAt === 'string'
    )
      return { pid: value.pid, host: value.host, startedAt: value.startedAt }
  } catch {
    // A torn or foreign file: treated as held, the message says how to clear it.
  }
  return null
}

function readFileSafe(path: string): string | null {
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}
