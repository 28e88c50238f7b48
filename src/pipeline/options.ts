import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { Settings } from '../core/settings.js'
import type { PerkvilleClient } from '../perkville/client-api.js'
import { type BackoffOptions, DEFAULT_BACKOFF } from './backoff.js'
import type { Storage } from './storage/storage.js'

export interface DeliveryServiceOptions {
  /** SQLite file lives here (<dataDir>/destination.db). */
  dataDir: string
  settings: Settings
  client: PerkvilleClient
  /** The pipeline registers its metrics here. */
  registry: Registry
  logger: Logger
  /** Deliveries in flight at once; default 32. */
  concurrency?: number
  /** Temporary failures are retried this long after the first one, then fail as expired; default 4 h. */
  retryForMs?: number
  /** A messageId seen within this window is acknowledged and not queued again; default 7 days. */
  dedupWindowMs?: number
  /** Delivered and failed events are pruned after this; default 30 days. */
  retentionMs?: number
  /** Both default true. */
  orderRules?: { oneAwardPerOrder?: boolean; capRefunds?: boolean }
  /** While Perkville rejects the credentials, probe this often; default 30 s. */
  credentialsProbeMs?: number
  /** Injectable clock (epoch ms) for tests of windows and pruning. */
  now?: () => number

  // Additions beyond the pinned contract, all optional.
  /** Retry backoff (full jitter); default base 1 s, max 10 min. */
  backoff?: Partial<BackoffOptions>
  /**
   * 'process' (default): accepted events survive a kill -9 (commits reach the OS before accept()
   * resolves). 'power': they also survive a power cut (fsync per group commit; see docs/delivery.md).
   */
  durability?: 'process' | 'power'
  /** How long a claim is held before another claimer may treat the attempt as abandoned; default 2 min. */
  leaseMs?: number
  /** Fallback poll for due retries; default 1 s (new events wake the workers at once). */
  pollMs?: number
  /** How often pruning runs; default 10 min (and at start). */
  pruneIntervalMs?: number
  /** stop() waits this long for in-flight deliveries before releasing them; default 7 s. */
  stopTimeoutMs?: number
  /** Builds a client when updateSettings changes the API key; default: the HTTP client at the same base URL. */
  createClient?: (settings: Settings) => PerkvilleClient
  /** Use this storage instead of SQLite in dataDir (e.g. PostgreSQL). */
  storage?: Storage
  /**
   * postgres://… : keep events in this PostgreSQL database instead of SQLite in dataDir, shared by
   * every instance given the same URL and schema (see docs/service.md, PostgreSQL).
   */
  databaseUrl?: string
  /** The PostgreSQL schema holding the tables; default `public`. */
  databaseSchema?: string
  /** PostgreSQL connections per instance; default 10. */
  databasePoolSize?: number
  /** Randomness for backoff jitter (tests). */
  random?: () => number
}

export interface ResolvedOptions {
  concurrency: number
  retryForMs: number
  dedupWindowMs: number
  retentionMs: number
  oneAwardPerOrder: boolean
  capRefunds: boolean
  credentialsProbeMs: number
  now: () => number
  backoff: BackoffOptions
  durability: 'process' | 'power'
  leaseMs: number
  pollMs: number
  pruneIntervalMs: number
  stopTimeoutMs: number
}

const HOUR = 3_600_000
const DAY = 24 * HOUR

export function resolveOptions(o: DeliveryServiceOptions): ResolvedOptions {
  const positive = (name: string, value: number | undefined, fallback: number): number => {
    if (value === undefined) return fallback
    if (!Number.isFinite(value) || value <= 0)
      throw new RangeError(`${name} must be a positive number, got ${value}`)
    return value
  }
  const backoff = {
    baseMs: positive('backoff.baseMs', o.backoff?.baseMs, DEFAULT_BACKOFF.baseMs),
    maxMs: positive('backoff.maxMs', o.backoff?.maxMs, DEFAULT_BACKOFF.maxMs),
  }
  if (o.durability !== undefined && o.durability !== 'process' && o.durability !== 'power') {
    throw new RangeError(`durability must be 'process' or 'power', got ${String(o.durability)}`)
  }
  return {
    concurrency: Math.floor(positive('concurrency', o.concurrency, 32)),
    retryForMs: positive('retryForMs', o.retryForMs, 4 * HOUR),
    dedupWindowMs: positive('dedupWindowMs', o.dedupWindowMs, 7 * DAY),
    retentionMs: positive('retentionMs', o.retentionMs, 30 * DAY),
    oneAwardPerOrder: o.orderRules?.oneAwardPerOrder ?? true,
    capRefunds: o.orderRules?.capRefunds ?? true,
    credentialsProbeMs: positive('credentialsProbeMs', o.credentialsProbeMs, 30_000),
    now: o.now ?? Date.now,
    backoff,
    durability: o.durability ?? 'process',
    leaseMs: positive('leaseMs', o.leaseMs, 120_000),
    pollMs: positive('pollMs', o.pollMs, 1_000),
    pruneIntervalMs: positive('pruneIntervalMs', o.pruneIntervalMs, 10 * 60_000),
    stopTimeoutMs: positive('stopTimeoutMs', o.stopTimeoutMs, 7_000),
  }
}
