/**
 * Fault injection for the sandbox: the failures a real Perkville (or the network to it) can show,
 * on demand, so the delivery pipeline's retries, dedup and settling can be tested for real.
 * Randomness comes from an injectable source so tests can be deterministic.
 */
import { z } from 'zod'

const rate = z.number().min(0).max(1)

/** `Retry-After` as seconds or an HTTP date, exactly as it will be sent. */
const retryAfter = z.union([z.number().int().min(0), z.string().trim().min(1).max(100)])

export const faultsSchema = z
  .object({
    /** All API requests answer 503 (Perkville down). */
    outage: z.boolean().optional(),
    /** Share of API requests answered with `errorStatus` (default 500) before anything is done. */
    errorRate: rate.optional(),
    errorStatus: z.number().int().min(500).max(599).optional(),
    /** Share of API requests answered 429 with `retryAfter` (default 1 second). */
    rateLimitRate: rate.optional(),
    retryAfter: retryAfter.optional(),
    /** `date` sends a numeric retryAfter as the HTTP date that many seconds from each answer. */
    retryAfterFormat: z.enum(['seconds', 'date']).optional(),
    /** Added to every API request: fixed, plus a uniform random share of `latencyJitterMs`. */
    latencyMs: z.number().int().min(0).max(600_000).optional(),
    latencyJitterMs: z.number().int().min(0).max(600_000).optional(),
    /** Share of API requests never answered (before anything is recorded). */
    hangRate: rate.optional(),
    /**
     * Share of transaction POSTs that are recorded and then fail, so the caller cannot know they
     * succeeded: `error` answers 500, `disconnect` cuts the connection, `hang` never answers.
     */
    commitThenFailRate: rate.optional(),
    commitThenFailMode: z.enum(['error', 'disconnect', 'hang']).optional(),
    /** Which API requests the faults touch: all of them (default) or only transaction POSTs. */
    scope: z.enum(['all', 'writes']).optional(),
    /** Only API paths starting with one of these (e.g. "/v2/perks/") are faulted; default all. */
    paths: z.array(z.string().startsWith('/v2/').max(200)).max(50).optional(),
    /** Seeds the fault randomness (a fresh sequence starts each time faults are set). */
    seed: z.number().int().optional(),
  })
  .strict()

export type Faults = z.output<typeof faultsSchema>

/** What to do with one API request before it is handled. */
export type PreDecision =
  | { kind: 'pass' }
  | { kind: 'outage' }
  | { kind: 'error'; status: number }
  | { kind: 'rate_limit'; retryAfter: string }
  | { kind: 'hang' }

export type PostMode = 'none' | 'error' | 'disconnect' | 'hang'

/** A source of numbers in [0, 1). */
export type Random = () => number

/** A small seedable generator (mulberry32): enough for fault draws, not for anything secret. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Rejects bad fault settings with one message naming every bad field. */
export function parseFaults(input: unknown): Faults {
  const result = faultsSchema.safeParse(input)
  if (result.success) return result.data
  throw new FaultsError(
    result.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : 'faults'}: ${i.message}`),
  )
}

export class FaultsError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid faults: ${problems.join('; ')}`)
    this.name = 'FaultsError'
  }
}

export class FaultInjector {
  private faults: Faults = {}
  private random: Random

  constructor(
    faults: Faults = {},
    private readonly defaultRandom: Random = Math.random,
    private readonly now: () => number = Date.now,
  ) {
    this.random = defaultRandom
    this.set(faults)
  }

  set(faults: Faults): void {
    this.faults = parseFaults(faults)
    this.random = this.faults.seed === undefined ? this.defaultRandom : seededRandom(this.faults.seed)
  }

  get(): Faults {
    return { ...this.faults }
  }

  private applies(isWrite: boolean, path: string): boolean {
    if (this.faults.scope === 'writes' && !isWrite) return false
    const paths = this.faults.paths
    return paths === undefined || paths.some((p) => path.startsWith(p))
  }

  /** A rate of 0 never draws and 1 always hits, so tests using them are exact. */
  private hit(r: number | undefined): boolean {
    if (r === undefined || r <= 0) return false
    if (r >= 1) return true
    return this.random() < r
  }

  latencyMs(isWrite: boolean, path: string): number {
    if (!this.applies(isWrite, path)) return 0
    const jitter = this.faults.latencyJitterMs ?? 0
    return (this.faults.latencyMs ?? 0) + (jitter > 0 ? Math.floor(this.random() * jitter) : 0)
  }

  before(isWrite: boolean, path: string): PreDecision {
    if (!this.applies(isWrite, path)) return { kind: 'pass' }
    const f = this.faults
    if (f.outage) return { kind: 'outage' }
    if (this.hit(f.hangRate)) return { kind: 'hang' }
    if (this.hit(f.errorRate)) return { kind: 'error', status: f.errorStatus ?? 500 }
    if (this.hit(f.rateLimitRate)) {
      const after = f.retryAfter ?? 1
      const header =
        typeof after === 'number' && f.retryAfterFormat === 'date'
          ? new Date(this.now() + after * 1000).toUTCString()
          : String(after)
      return { kind: 'rate_limit', retryAfter: header }
    }
    return { kind: 'pass' }
  }

  /** After a transaction was recorded: how (if at all) the answer fails. */
  afterCommit(): PostMode {
    if (!this.hit(this.faults.commitThenFailRate)) return 'none'
    return this.faults.commitThenFailMode ?? 'error'
  }
}
