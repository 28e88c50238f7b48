/**
 * What made a storage write fail, in a few words for /readyz and the logs: the disk, the database
 * being out of reach, or what the database said. A database message can quote a value it was given
 * (`invalid input syntax for type bigint: "…"`), so quoted text that is not a plain name is left out.
 */
import { poolerHint } from './postgres/pooler.js'

const MAX = 200

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EPIPE',
])
/** PostgreSQL's admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections. */
const DATABASE_DOWN = new Set(['57P01', '57P02', '57P03', '53300'])

export function storageFailureCause(err: unknown): string {
  const { code, message } = err as { code?: unknown; message?: unknown }
  const text = typeof message === 'string' ? message : String(err)
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') return 'the disk is full'
  if (code === 'SQLITE_READONLY' || code === 'EROFS') return 'the database file is read-only'
  const hint = poolerHint(err)
  if (typeof code === 'string' && (UNREACHABLE.has(code) || DATABASE_DOWN.has(code))) {
    return `the database is unreachable (${code}: ${shown(text)})`
  }
  if (/^(Connection terminated|timeout exceeded when trying to connect)/i.test(text)) {
    return `the database is unreachable (${shown(text)})`
  }
  return `the database refused it (${typeof code === 'string' ? `${code}: ` : ''}${shown(text)})${hint}`
}

function shown(text: string): string {
  const safe = text.replace(/"([^"]*)"/g, (whole, inner: string) =>
    /^[A-Za-z_][A-Za-z0-9_.]{0,62}$/.test(inner) ? whole : '"…"',
  )
  return safe.length > MAX ? `${safe.slice(0, MAX)}…` : safe
}
