import { join } from 'node:path'
import type { Logger } from 'pino'
import { openPostgresStorage } from '../pipeline/storage/postgres.js'
import { openSqliteStorage } from '../pipeline/storage/sqlite.js'
import type { Storage } from '../pipeline/storage/storage.js'
import type { ServiceConfig } from './config.js'

/** The SQLite database's file name in the data directory. */
export const DB_FILE = 'destination.db'

export type StorageConfig = Pick<ServiceConfig, 'databaseUrl' | 'databaseSchema' | 'databasePoolSize'> & {
  /** Resolved; the SQLite file lives here. */
  dataDir: string
}

/**
 * Opens the configured store: PostgreSQL when a database URL is given (shared by every instance
 * with the same URL and schema), else SQLite in the data directory. 'power' durability syncs each
 * SQLite commit to disk (docs/delivery.md); 'process' survives a kill of the process.
 */
export async function openStorage(
  config: StorageConfig,
  logger: Logger,
  durability: 'process' | 'power' = 'process',
): Promise<Storage> {
  if (config.databaseUrl !== null) {
    return openPostgresStorage({
      connectionString: config.databaseUrl,
      schema: config.databaseSchema,
      poolSize: config.databasePoolSize,
      onError: (err) => logger.error({ err }, 'a PostgreSQL connection failed'),
    })
  }
  return openSqliteStorage({
    path: join(config.dataDir, DB_FILE),
    synchronous: durability === 'power' ? 'FULL' : 'NORMAL',
  })
}
