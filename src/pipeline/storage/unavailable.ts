/**
 * Whether an error means the database cannot be used right now (down, unreachable, disk full, busy)
 * rather than a fault in the request or the program: the HTTP answer is then 503 with Retry-After,
 * not 500. Errors that crossed the SQLite thread keep only name and message, so both are read.
 */
const PG_CODES = new Set(['53100', '53200', '53300', '57P01', '57P02', '57P03', '58030'])
const NET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
])
const SQLITE_CODES = /^SQLITE_(FULL|IOERR|BUSY|LOCKED|CANTOPEN|READONLY|NOMEM|PROTOCOL)/
const MESSAGES =
  /database or disk is full|disk I\/O error|database is locked|unable to open database|attempt to write a readonly database|Connection terminated|timeout exceeded when trying to connect|Connection ended unexpectedly|connection error|storage is closed|the SQLite storage/i

export function isStorageUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (
      typeof code === 'string' &&
      (PG_CODES.has(code) || code.startsWith('08') || NET_CODES.has(code) || SQLITE_CODES.test(code))
    )
      return true
    if (e instanceof AggregateError && e.errors.some(isStorageUnavailable)) return true
    if (MESSAGES.test(e.message)) return true
  }
  return false
}
