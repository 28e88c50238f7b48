import { existsSync, mkdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { LOCK_FILE } from './data-dir-lock.js'
import { DB_FILE } from './open-storage.js'

/** Files an earlier start leaves in the data directory besides the database. */
const EARLIER_STORE_MARKERS = [LOCK_FILE, 'write-key', 'admin-token', 'sandbox']

/**
 * Creates the data directory private to its owner (0700; the database in it, 0600, holds customer
 * emails), and says at start what an operator must know about it: an existing directory or database
 * file readable by others, and — loudly — a directory an earlier store used whose database is gone,
 * since the service would otherwise start empty without a word. Call before anything is created in it.
 */
export function prepareDataDir(dataDir: string, opts: { sqlite: boolean; logger: Logger }): void {
  const database = join(dataDir, DB_FILE)
  const markers =
    opts.sqlite && existsSync(dataDir) && !existsSync(database)
      ? EARLIER_STORE_MARKERS.filter((name) => existsSync(join(dataDir, name)))
      : []
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })

  if (markers.length > 0) {
    opts.logger.error(
      { dataDir, database, found: markers },
      `THE DATABASE IS MISSING: ${dataDir} was used by an earlier start (${markers.join(', ')} found) but ${DB_FILE} is gone. ` +
        'Starting with an EMPTY store: queued and failed events, the dedup record and order ledgers of before are not there. ' +
        'If this is not intended, stop now and restore the database file (with its -wal file) from a backup.',
    )
  }
  const paths = [dataDir, database, `${database}-wal`, `${database}-shm`]
  const wide = paths.filter((path) => {
    try {
      return (statSync(path).mode & 0o077) !== 0
    } catch {
      return false
    }
  })
  if (wide.length > 0) {
    opts.logger.warn(
      { paths: wide, modes: wide.map((path) => (statSync(path).mode & 0o777).toString(8)) },
      'the data directory or database can be read by other users of this machine, and it holds customer emails: chmod 700 the directory and 600 the database files',
    )
  }
}
