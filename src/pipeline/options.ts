import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { Settings } from '../core/settings.js'
import type { PerkvilleClient } from '../perkville/client-api.js'
import { type BackoffOptions, DEFAULT_BACKOFF } from './backoff.js'
import type { Timers } from './clock.js'
import type { Storage } from './storage/storage.js'

/**
 * What an operator sets. Every value and its default are defined once, in the service's options
 * table (src/server/options-table.ts); the pipeline takes them resolved and adds no defaults.
 */
export interface DeliveryPolicy {
  /** Deliveries in flight at once. */
  concurrency: number
  /** Temporary failures are retried this long after the first one, then fail as expired. */
  retryForMs: number
  /** A messageId seen within this window is acknowledged and not queued again. */
  dedupWindowMs: number
  /** Delivered and failed events are pruned after this. */
  retentionMs: number
  oneAwardPerOrder: boolean
  capRefunds: boolean
  /** While Perkville rejects the credentials, probe this often. */
  credentialsProbeMs: number
  /** How long a claim is held before another claimer may treat the attempt as abandoned. */
  leaseMs: number
}

/** The pipeline's own timings: not operator options, so they are defined here and only here. */
export interface Tuning {
  /** Retry backoff (full jitter). */
  backoff: BackoffOptions
  /** Fallback poll for due retries (new events wake the workers at once). */
  pollMs: number
  /** How often pruning runs (and once at start). */
  pruneIntervalMs: number
  /** stop() waits this long for in-flight deliveries before releasing them. */
  stopTimeoutMs: number
  /** How often the queue is looked at for waiting (retrying, parked) events to tell the operator about. */
  troubleCheckMs: number
}

export const TUNING: Tuning = {
  backoff: DEFAULT_BACKOFF,
  pollMs: 1_000,
  pruneIntervalMs: 10 * 60_000,
  stopTimeoutMs: 7_000,
  troubleCheckMs: 15_000,
}

export interface DeliveryServiceOptions {
  /** Opened by the caller, who also closes it after stop(). */
  storage: Storage
  /**
   * Other instances share the storage's queue (PostgreSQL): the in-memory queue depth is re-read
   * from storage now and then.
   */
  sharedQueue: boolean
  settings: Settings
  /** The settings version `settings` are (0 when versions are not kept): older events are decided again. */
  settingsVersion?: number
  /** The oldest version deciding alike with `settings` (default settingsVersion): older events are decided again. */
  decidesSince?: number
  client: PerkvilleClient
  /** Builds a client when updateSettings changes the API key. */
  createClient: (settings: Settings) => PerkvilleClient
  /** The pipeline registers its metrics here. */
  registry: Registry
  logger: Logger
  policy: DeliveryPolicy
  /** Overrides of the pipeline's own timings (tests and benchmarks). */
  tuning?: Partial<Tuning>
  /** Injectable clock (epoch ms) for tests of windows and pruning. */
  now?: () => number
  /** The timers of the pool, the credentials probe and pruning; a test's hand-moved clock. */
  timers?: Timers
  /** Randomness for backoff jitter (tests). */
  random?: () => number
}
