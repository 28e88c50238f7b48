import { randomBytes } from 'node:crypto'
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface StoredSecret {
  value: string
  /** The file it lives in (for the banner's `$(cat FILE)`, which never prints the value). */
  path: string
  created: boolean
}

/**
 * A secret kept in the data directory: read when the file exists, else generated from the OS's
 * random source and written with mode 0600 so only the service's user can read it. `wx` makes two
 * processes starting at once agree on one value instead of overwriting each other.
 */
export function loadOrCreateSecret(dataDir: string, fileName: string, prefix: string): StoredSecret {
  const path = join(dataDir, fileName)
  const existing = readSecret(path)
  if (existing !== null) return { value: existing, path, created: false }
  const value = `${prefix}${randomBytes(24).toString('base64url')}`
  try {
    writeFileSync(path, `${value}\n`, { mode: 0o600, flag: 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    const raced = readSecret(path)
    if (raced !== null) return { value: raced, path, created: false }
    throw new Error(`${path} exists but is empty; delete it to have a new secret generated`)
  }
  chmodSync(path, 0o600)
  return { value, path, created: true }
}

function readSecret(path: string): string | null {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw new Error(`cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  const value = text.trim()
  if (value === '') return null
  // A secret readable by others is fixed rather than refused: the service made the file itself.
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600)
  return value
}
