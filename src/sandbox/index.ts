/**
 * The Perkville sandbox, started in-process: used by tests, by the `sandbox` command and by the
 * delivery service's embedded mode.
 */
import type { TransactionResource } from '../perkville/wire.js'
import { buildApp } from './app.js'
import { type Behaviour, parseBehaviour, type ResolvedBehaviour } from './behaviour.js'
import type { DailyLimitAnswer } from './daily-limit.js'
import { FaultInjector, type Faults, parseFaults, type Random } from './faults.js'
import { transactionResource } from './resources.js'
import { DEFAULT_SEED, DEFAULT_TOKEN, parseSeed, type SandboxSeed, SCOPES, type TokenGrant } from './seed.js'
import { SandboxStore } from './store.js'

export type { Behaviour, DuplicateAnswer, ResolvedBehaviour } from './behaviour.js'
export { BehaviourError, DUPLICATE_ANSWERS, parseBehaviour } from './behaviour.js'
export { DAILY_LIMIT_ANSWERS, type DailyLimitAnswer } from './daily-limit.js'
export type { Faults } from './faults.js'
export { FaultsError, parseFaults, seededRandom } from './faults.js'
export type { SandboxSeed } from './seed.js'
export {
  DEFAULT_CLIENT,
  DEFAULT_READONLY_TOKEN,
  DEFAULT_SEED,
  DEFAULT_TOKEN,
  DEFAULT_USER,
  loadSeedFile,
  parseSeed,
  SeedError,
} from './seed.js'

export interface SandboxOptions {
  /** Default 0: the OS picks a free port. */
  port?: number
  /** Default 127.0.0.1. */
  host?: string
  /** Keep state in an SQLite file in this directory (it survives restarts). */
  dataDir?: string
  /** Keep state in memory (the default when no dataDir is given). */
  memory?: boolean
  /** Starting data; default DEFAULT_SEED. */
  seed?: SandboxSeed
  /** A token with every scope, added to the seed's tokens; it is the one `RunningSandbox.token` shows. */
  token?: string
  faults?: Faults
  /** How a duplicate trans_source_id and the lookup are answered (behaviour.ts); default 409, dedup, lookup. */
  behaviour?: Behaviour
  logger?: boolean
  /** Fault randomness (default Math.random); a `seed` in the faults overrides it. */
  random?: Random
  /** The form of the 400 refusing a second once-per-day award (default error_codes: the documented shape). */
  dailyLimitAnswer?: DailyLimitAnswer
  /** The sandbox's clock (default Date.now): which calendar day once-per-day awards count on. */
  now?: () => number
}

export interface RunningSandbox {
  /** Base URL ending in /v2/ */
  url: string
  origin: string
  port: number
  token: string
  setFaults(f: Faults): void
  /** Replaces the whole behaviour (fields left out go back to their defaults). */
  setBehaviour(b: Behaviour): void
  behaviour(): ResolvedBehaviour
  reset(): void
  transactions(): TransactionResource[]
  /** How many transactions there are: cheap enough to poll while thousands arrive (transactions() is not). */
  transactionCount(): number
  close(): Promise<void>
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<RunningSandbox> {
  if (opts.dataDir !== undefined && opts.memory)
    throw new Error('startSandbox: give dataDir or memory, not both')
  const seed = parseSeed(opts.seed ?? DEFAULT_SEED)
  const tokens = new Map<string, TokenGrant>()
  const full: TokenGrant = { scopes: [...SCOPES], businesses: null }
  for (const t of seed.tokens ?? parseSeed(DEFAULT_SEED).tokens ?? []) {
    tokens.set(t.token, { scopes: t.scopes, businesses: t.businesses ?? null })
  }
  if (opts.token !== undefined) tokens.set(opts.token, full)
  const token = opts.token ?? firstFullToken(tokens) ?? DEFAULT_TOKEN
  if (!tokens.has(token)) tokens.set(token, full)

  const now = opts.now ?? Date.now
  const faults = new FaultInjector(parseFaults(opts.faults ?? {}), opts.random, now)
  const behaviour = { current: parseBehaviour(opts.behaviour ?? {}) }
  const store = new SandboxStore(
    opts.dataDir === undefined ? { memory: true } : { dataDir: opts.dataDir },
    seed,
    now,
  )
  const accounts = { clients: seed.clients ?? [], users: seed.users ?? [] }
  const app = buildApp({
    store,
    faults,
    tokens,
    accounts,
    behaviour,
    logger: opts.logger ?? false,
    now,
    ...(opts.dailyLimitAnswer === undefined ? {} : { dailyLimitAnswer: opts.dailyLimitAnswer }),
  })
  try {
    await app.listen({ port: opts.port ?? 0, host: opts.host ?? '127.0.0.1' })
  } catch (err) {
    store.close()
    throw err
  }
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('sandbox: no TCP address')
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const origin = `http://${host}:${address.port}`
  let closed = false
  return {
    url: `${origin}/v2/`,
    origin,
    port: address.port,
    token,
    setFaults: (f) => faults.set(parseFaults(f)),
    setBehaviour: (b) => {
      behaviour.current = parseBehaviour(b)
    },
    behaviour: () => ({ ...behaviour.current }),
    reset: () => store.reset(),
    transactions: () => store.allTransactions().map(transactionResource),
    transactionCount: () => store.transactionCount(),
    close: async () => {
      if (closed) return
      closed = true
      await app.close()
      store.close()
    },
  }
}

function firstFullToken(tokens: Map<string, TokenGrant>): string | undefined {
  for (const [token, grant] of tokens) {
    if (grant.businesses === null && SCOPES.every((s) => grant.scopes.includes(s))) return token
  }
  return undefined
}
