import type { Logger } from 'pino'
import { boundErrorText } from '../perkville/bounded-body.js'
import type { PerkvilleClient } from '../perkville/client-api.js'
import { PerkvilleApiError } from '../perkville/client-api.js'
import type { Timers } from './clock.js'
import { scrub } from './redact.js'
import type { CredentialsState } from './service-api.js'

export interface CredentialsGateOptions {
  probeMs: number
  now: () => number
  /** The periodic probe runs on these. */
  timers: Timers
  logger: Logger
  /** The client and business to probe with, read at each probe (settings may change). */
  target: () => { client: PerkvilleClient; businessId: string; secrets: readonly string[] }
  onResume: () => void
}

/**
 * Rejected credentials stop all delivery at once instead of failing events one by one: every event
 * would meet the same 401/403. A periodic probe (GET business) or new settings lift the pause.
 * A probe cannot tell whether a token may grant points (a 403 on POST while GETs work), so after a
 * 403 a good probe only opens a trial: one delivery at a time until one succeeds.
 */
export class CredentialsGate {
  private current: CredentialsState = { state: 'unknown', since: null, message: null, action: null }
  private mode: 'open' | 'paused' | 'trial' = 'open'
  private rejectedStatus: number | null = null
  private cancelTimer: (() => void) | null = null
  private probing = false
  private stopped = false

  constructor(private readonly opts: CredentialsGateOptions) {}

  /** True while nothing may be delivered. */
  get paused(): boolean {
    return this.mode === 'paused'
  }

  /** How many deliveries may run at once: 0 paused, 1 on trial, else the pool's size. */
  capacity(full: number): number {
    return this.mode === 'paused' ? 0 : this.mode === 'trial' ? 1 : full
  }

  state(): CredentialsState {
    return { ...this.current }
  }

  reject(status: number | null, message: string): void {
    const safe = boundErrorText(scrub(message, this.opts.target().secrets))
    const wasRejected = this.mode === 'paused'
    this.mode = 'paused'
    if (status !== null) this.rejectedStatus = status
    this.current = {
      state: 'rejected',
      since:
        this.current.state === 'rejected' && this.current.since
          ? this.current.since
          : new Date(this.opts.now()).toISOString(),
      message: safe,
      action: actionFor(this.rejectedStatus),
    }
    if (!wasRejected) {
      this.opts.logger.warn({ status, reason: safe }, 'Perkville rejected the credentials: delivery paused')
      this.schedule()
    }
  }

  accepted(): void {
    if (this.open('ok')) {
      this.opts.logger.info('Perkville accepts the credentials again: delivery resumed')
      this.opts.onResume()
    }
  }

  /** New settings: resume at once; the next delivery or probe tells whether they work. */
  reset(): void {
    if (this.open('unknown')) this.opts.onResume()
  }

  /** Delivery open again, in `state` from now (an `ok` already held keeps its since); true if it was not open. */
  private open(state: 'ok' | 'unknown'): boolean {
    const wasRejected = this.mode !== 'open'
    this.mode = 'open'
    this.rejectedStatus = null
    if (state !== 'ok' || this.current.state !== 'ok') {
      this.current = { state, since: new Date(this.opts.now()).toISOString(), message: null, action: null }
    }
    this.clearTimer()
    return wasRejected
  }

  /** One probe now; resolves to the state after it. */
  async probe(): Promise<CredentialsState> {
    if (this.probing || this.stopped) return this.state()
    this.probing = true
    const { client, businessId, secrets } = this.opts.target()
    try {
      await client.getBusiness(businessId)
      if (this.stopped) return this.state()
      if (this.mode === 'paused' && this.rejectedStatus === 403) {
        this.mode = 'trial'
        this.opts.logger.info(
          'Perkville accepts the token again; trying one delivery before resuming in full',
        )
        this.opts.onResume()
      } else if (this.mode !== 'trial') {
        this.accepted()
      }
    } catch (err) {
      if (err instanceof PerkvilleApiError && err.kind === 'credentials') {
        this.reject(err.status, err.message)
      } else {
        this.opts.logger.warn(
          { reason: scrub(err instanceof Error ? err.message : String(err), secrets) },
          'credentials probe inconclusive',
        )
      }
    } finally {
      this.probing = false
    }
    return this.state()
  }

  stop(): void {
    this.stopped = true
    this.clearTimer()
  }

  private schedule(): void {
    this.clearTimer()
    if (this.stopped) return
    this.cancelTimer = this.opts.timers.every(this.opts.probeMs, () => {
      if (this.mode === 'paused') return this.probe()
      if (this.mode === 'open') this.clearTimer()
    })
  }

  private clearTimer(): void {
    this.cancelTimer?.()
    this.cancelTimer = null
  }
}

function actionFor(status: number | null): string {
  if (status === 403) {
    return 'The Perkville token lacks a needed scope (ADMIN_CUSTOMER_GRANT_POINTS): reconnect Segment in Perkville > Settings > Apps and update apiKey; delivery resumes by itself.'
  }
  return 'Perkville rejected the API key: generate a new token in Perkville > Settings > Apps > Connect Segment and update apiKey in the settings; delivery resumes by itself.'
}
