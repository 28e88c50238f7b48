import { setTimeout as sleep } from 'node:timers/promises'
import { TokenBucket } from 'limiter'
import { Agent, request } from 'undici'
import { parseRetryAfter } from '../../perkville/wire.js'
import { retryDelayMs } from '../../pipeline/backoff.js'
import { PACKAGE_NAME, VERSION } from '../../version.js'
import { type Batch, batchBody, halves } from './batches.js'

export interface SenderOptions {
  /** The service's base URL (`http://host:port`). */
  url: string
  writeKey: string
  /** Events per second; 0 for no limit. */
  rate: number
  /** Requests in flight at once. */
  concurrency: number
  /** The largest batch (the rate limiter's bucket must hold one). */
  maxBatch: number
  /** How long one batch keeps being retried before the run gives up. */
  retryForMs: number
  /** Per-request timeout. */
  timeoutMs: number
}

/** What the service says became of a batch's events (absent from services that answer only success). */
export interface Counts {
  queued?: number
  duplicates?: number
  dropped?: number
  skipped?: number
  rejected?: number
  /** Each event its rules refused: its place in the batch, code and words (newer services). */
  refusals?: Array<{ index: number; code: string; message: string }>
}

/** What became of a batch's events. */
export interface BatchResult {
  /** Sub-batches the service answered 200 for, with its counts when it gave them. */
  accepted: Array<{ batch: Batch } & Counts>
  /** Events the service refused on their own (400 for a single-event batch), with its reason. */
  refused: Array<{ line: number; code: string; reason: string }>
}

/** The run cannot go on: the service is unreachable, refuses the write key, or is not this service. */
export class SendAbort extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SendAbort'
  }
}

/** Statuses worth sending again: the service said "later" or may not have seen the request. */
const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504])
const BACKOFF = { baseMs: 250, maxMs: 30_000 }

/**
 * Sends batches to `/v1/import` with HTTP Basic auth (the write key as user name), a rate limit in
 * events per second, retries of 429/5xx/transport errors with full-jitter backoff that never waits
 * less than the service's `Retry-After`, and bisection of a batch the service answers 400, so one
 * bad event never keeps its neighbours out. Sending a batch again is always safe: every event has a
 * stable messageId the service deduplicates.
 */
export class Sender {
  private readonly agent: Agent
  private readonly bucket: TokenBucket | null
  private readonly endpoint: string
  private readonly auth: string

  constructor(
    private readonly opts: SenderOptions,
    private readonly onRetry: (why: string, waitMs: number) => void,
  ) {
    this.agent = new Agent({ connections: opts.concurrency, keepAliveTimeout: 30_000 })
    this.bucket =
      opts.rate > 0
        ? new TokenBucket({
            bucketSize: Math.max(opts.maxBatch, 1),
            tokensPerInterval: opts.rate,
            interval: 'second',
          })
        : null
    this.endpoint = new URL('/v1/import', opts.url).toString()
    this.auth = `Basic ${Buffer.from(`${opts.writeKey}:`).toString('base64')}`
  }

  async close(): Promise<void> {
    await this.agent.close()
  }

  /** Null when the service answers /healthz; otherwise why it cannot be reached. */
  async unreachable(): Promise<string | null> {
    try {
      const res = await request(new URL('/healthz', this.opts.url), {
        dispatcher: this.agent,
        signal: AbortSignal.timeout(Math.min(this.opts.timeoutMs, 10_000)),
      })
      await res.body.dump()
      return res.statusCode === 200 ? null : `GET /healthz answered ${res.statusCode}`
    } catch (err) {
      return describeTransportError(err)
    }
  }

  /** Waits for the rate limit to allow `events` more events. */
  async pace(events: number): Promise<void> {
    if (this.bucket) await this.bucket.removeTokens(Math.min(events, this.opts.maxBatch))
  }

  async send(batch: Batch): Promise<BatchResult> {
    const result: BatchResult = { accepted: [], refused: [] }
    await this.sendInto(batch, result)
    return result
  }

  private async sendInto(batch: Batch, result: BatchResult): Promise<void> {
    const answer = await this.post(batchBody(batch))
    if (answer.status === 200) {
      result.accepted.push({ batch, ...answer.counts })
      return
    }
    const parts = halves(batch)
    if (parts) {
      for (const part of parts) await this.sendInto(part, result)
      return
    }
    const item = batch.items[0]!
    result.refused.push({ line: item.line, code: answer.code, reason: answer.message })
  }

  /** One request until it gets a final answer: 200, or a 400/413 about the body. */
  private async post(
    body: string,
  ): Promise<{ status: 200; counts: Counts } | { status: 400; code: string; message: string }> {
    const firstFailure = { at: 0 }
    for (let attempt = 1; ; attempt++) {
      let why: string
      let retryAfterMs: number | null = null
      try {
        const res = await request(this.endpoint, {
          method: 'POST',
          dispatcher: this.agent,
          signal: AbortSignal.timeout(this.opts.timeoutMs),
          headers: {
            authorization: this.auth,
            'content-type': 'application/json',
            'user-agent': `${PACKAGE_NAME}-import/${VERSION}`,
          },
          body,
        })
        const text = await res.body.text()
        const json = safeParse(text)
        if (res.statusCode === 200) return { status: 200, counts: countsOf(json) }
        const message = errorOf(json) ?? `HTTP ${res.statusCode}`
        if (res.statusCode === 400 || res.statusCode === 413)
          return { status: 400, code: codeOf(json) ?? `HTTP_${res.statusCode}`, message }
        if (res.statusCode === 401 || res.statusCode === 403)
          throw new SendAbort(`the service refused the write key (${res.statusCode}: ${message})`)
        if (!RETRY_STATUSES.has(res.statusCode))
          throw new SendAbort(
            `${this.endpoint} answered ${res.statusCode} (${message}): is ${this.opts.url} the perkville-destination service?`,
          )
        const header = res.headers['retry-after']
        retryAfterMs = parseRetryAfter(Array.isArray(header) ? header[0] : header)
        why = `${res.statusCode} ${message}`
      } catch (err) {
        if (err instanceof SendAbort) throw err
        why = describeTransportError(err)
      }
      const now = Date.now()
      if (firstFailure.at === 0) firstFailure.at = now
      if (now - firstFailure.at >= this.opts.retryForMs)
        throw new SendAbort(
          `the service at ${this.opts.url} did not take a batch for ${Math.round((now - firstFailure.at) / 1000)} s (last: ${why})`,
        )
      const waitMs = Math.min(
        retryDelayMs(attempt, BACKOFF, retryAfterMs),
        Math.max(0, firstFailure.at + this.opts.retryForMs - now),
      )
      this.onRetry(why, waitMs)
      await sleep(waitMs)
    }
  }
}

export function describeTransportError(err: unknown): string {
  const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string } }
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'no answer in time'
  return e.code ?? e.cause?.code ?? e.message ?? String(err)
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}

function countsOf(json: unknown): Counts {
  const o = (json ?? {}) as Record<string, unknown>
  const counts: Counts = {}
  for (const key of ['queued', 'duplicates', 'dropped', 'skipped', 'rejected'] as const) {
    const v = o[key]
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) counts[key] = v
  }
  const refusals = refusalsOf(o.refusals)
  if (refusals) counts.refusals = refusals
  return counts
}

/** The service's per-event refusals, bounded (a batch has at most 2,500 events; words at most 500). */
function refusalsOf(value: unknown): Counts['refusals'] {
  if (!Array.isArray(value)) return undefined
  const out: NonNullable<Counts['refusals']> = []
  for (const r of value.slice(0, 2500)) {
    const { index, code, message } = (r ?? {}) as Record<string, unknown>
    if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0) continue
    if (typeof code !== 'string') continue
    out.push({
      index,
      code: code.slice(0, 100),
      message: typeof message === 'string' ? message.slice(0, 500) : '',
    })
  }
  return out
}

function errorOf(json: unknown): string | null {
  const e = (json as { error?: unknown } | null)?.error
  return typeof e === 'string' ? e.slice(0, 300) : null
}

function codeOf(json: unknown): string | null {
  const c = (json as { code?: unknown } | null)?.code
  return typeof c === 'string' ? c : null
}
