import { join } from 'node:path'
import type { Logger } from 'pino'
import { openPostgresStorage } from '../pipeline/storage/postgres.js'
import { openSqliteStorage } from '../pipeline/storage/sqlite.js'
import type { Storage } from '../pipeline/storage/storage.js'
import type { ServiceConfig } from './config.js'

/** The SQLite database's file name in the data directory. */
export const DB_FILE = 'destination.db'

export type StorageConfig = Pick<
  ServiceConfig,
  'databaseUrl' | 'databaseSchema' | 'databasePoolSize' | 'databasePooling' | 'databaseListenUrl'
> & {
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
      pooling: config.databasePooling,
      listenUrl: config.databaseListenUrl,
      onError: (err) => logger.error({ err }, 'a PostgreSQL connection failed'),
      onPoolerFound: ({ stoppedListening }) =>
        logger.warn(
          `the database connection is pooled per transaction (PgBouncer pool_mode = transaction?): named prepared statements are off from now on${stoppedListening ? ", and other instances' work is found by polling, not LISTEN" : ''}; start with --database-pooling transaction to say so, and --database-listen-url <a URL straight to PostgreSQL> for wake-ups without polling`,
        ),
    })
  }
  return openSqliteStorage({
    path: join(config.dataDir, DB_FILE),
    synchronous: durability === 'power' ? 'FULL' : 'NORMAL',
  })
}
