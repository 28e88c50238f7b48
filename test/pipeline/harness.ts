import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino, { type Logger } from 'pino'
import { Registry } from 'prom-client'
import { parseSettings, type Settings } from '../../src/core/settings.js'
import { createPerkvilleClient } from '../../src/perkville/client.js'
import type { PerkvilleClient } from '../../src/perkville/client-api.js'
import type { Timers } from '../../src/pipeline/clock.js'
import { createDeliveryService, type DeliveryPolicy, type Tuning } from '../../src/pipeline/index.js'
import { TUNING } from '../../src/pipeline/options.js'
import {
  type DeliveryService,
  EVENTS_PAGE,
  type EventListItem,
  type EventRecord,
  type EventSearch,
  type IncomingEvent,
} from '../../src/pipeline/service-api.js'
import type { DatabasePooling } from '../../src/pipeline/storage/postgres/pooler.js'
import type { Storage } from '../../src/pipeline/storage/storage.js'
import { type Behaviour, type Faults, type RunningSandbox, startSandbox } from '../../src/sandbox/index.js'
import { defaultConfig } from '../../src/server/config.js'
import { openStorage } from '../../src/server/open-storage.js'

export const MAP = {
  'Order Completed': 3002,
  'Order Refunded': 3002,
  'Checked In': 3001,
  'Referral Sent': 3003,
  'Mystery Perk': 9999,
}

export function settingsFor(apiKey: string): Settings {
  return parseSettings({ apiKey, businessId: 1001, locationId: 2001, eventToPerkMap: MAP })
}

/** What a test may set: any policy value (the defaults are the options table's), timings, a clock. */
export type ServiceOverrides = Partial<Omit<DeliveryPolicy, 'oneAwardPerOrder' | 'capRefunds'>> &
  Partial<Omit<Tuning, 'backoff'>> & {
    orderRules?: { oneAwardPerOrder?: boolean; capRefunds?: boolean }
    backoff?: Partial<Tuning['backoff']>
    now?: () => number
    timers?: Timers
    random?: () => number
  }

export interface TestServiceOptions extends ServiceOverrides {
  dataDir: string
  settings: Settings
  client: PerkvilleClient
  createClient?: (settings: Settings) => PerkvilleClient
  registry?: Registry
  /** postgres://…: the store is this database instead of SQLite in dataDir. */
  databaseUrl?: string
  databaseSchema?: string
  databasePooling?: DatabasePooling
  databaseListenUrl?: string
  durability?: 'process' | 'power'
  logger?: Logger
}

/**
 * A delivery service as `serve` builds one (store opened by the same code, policy from the
 * options table's defaults), with a test's overrides. stop() also closes the store it opened.
 */
export async function openTestService(opts: TestServiceOptions): Promise<DeliveryService> {
  const config = defaultConfig()
  const logger = opts.logger ?? pino({ level: 'silent' })
  const storage: Storage = await openStorage(
    {
      dataDir: opts.dataDir,
      databaseUrl: opts.databaseUrl ?? null,
      databaseSchema: opts.databaseSchema ?? config.databaseSchema,
      databasePoolSize: config.databasePoolSize,
      databasePooling: opts.databasePooling ?? config.databasePooling,
      databaseListenUrl: opts.databaseListenUrl ?? null,
    },
    logger,
    opts.durability,
  )
  const { orderRules, backoff, pollMs, pruneIntervalMs, stopTimeoutMs, now, timers, random, ...policy } = opts
  const service = await createDeliveryService({
    storage,
    sharedQueue: opts.databaseUrl !== undefined,
    settings: opts.settings,
    client: opts.client,
    createClient:
      opts.createClient ?? ((s) => createPerkvilleClient({ baseUrl: opts.client.baseUrl, token: s.apiKey })),
    registry: opts.registry ?? new Registry(),
    logger,
    policy: {
      concurrency: policy.concurrency ?? config.concurrency,
      retryForMs: policy.retryForMs ?? config.retryForMs,
      dedupWindowMs: policy.dedupWindowMs ?? config.dedupWindowMs,
      retentionMs: policy.retentionMs ?? config.retentionMs,
      credentialsProbeMs: policy.credentialsProbeMs ?? config.credentialsProbeMs,
      leaseMs: policy.leaseMs ?? config.leaseMs,
      oneAwardPerOrder: orderRules?.oneAwardPerOrder ?? config.oneAwardPerOrder,
      capRefunds: orderRules?.capRefunds ?? config.capRefunds,
    },
    tuning: {
      ...(backoff ? { backoff: { ...TUNING.backoff, ...backoff } } : {}),
      ...(pollMs !== undefined ? { pollMs } : {}),
      ...(pruneIntervalMs !== undefined ? { pruneIntervalMs } : {}),
      ...(stopTimeoutMs !== undefined ? { stopTimeoutMs } : {}),
    },
    ...(now ? { now } : {}),
    ...(timers ? { timers } : {}),
    ...(random ? { random } : {}),
  })
  return {
    ...service,
    async stop() {
      await service.stop()
      await storage.close()
    },
  }
}

export interface Harness {
  dir: string
  sandbox: RunningSandbox
  service: DeliveryService
  registry: Registry
  restart(extra?: ServiceOverrides): Promise<DeliveryService>
  close(): Promise<void>
}

export interface HarnessOptions {
  faults?: Faults
  /** How the sandbox answers a duplicate trans_source_id and the lookup (default: 409, dedup, lookup). */
  behaviour?: Behaviour
  token?: string
  clientTimeoutMs?: number
  service?: ServiceOverrides
  /** Do not call start(). */
  noStart?: boolean
  dir?: string
  sandbox?: RunningSandbox
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'pipeline-'))
  const sandbox =
    opts.sandbox ??
    (await startSandbox({
      memory: true,
      ...(opts.faults ? { faults: opts.faults } : {}),
      ...(opts.behaviour ? { behaviour: opts.behaviour } : {}),
    }))
  const clients: Array<{ close(): Promise<void> }> = []
  const build = async (extra: ServiceOverrides = {}) => {
    const token = opts.token ?? sandbox.token
    const client = createPerkvilleClient({
      baseUrl: sandbox.url,
      token,
      timeoutMs: opts.clientTimeoutMs ?? 2_000,
    })
    clients.push(client)
    const registry = new Registry()
    const service = await openTestService({
      dataDir: dir,
      settings: settingsFor(token),
      client,
      registry,
      backoff: { baseMs: 20, maxMs: 200 },
      pollMs: 50,
      createClient: (s) => {
        const c = createPerkvilleClient({
          baseUrl: sandbox.url,
          token: s.apiKey,
          timeoutMs: opts.clientTimeoutMs ?? 2_000,
        })
        clients.push(c)
        return c
      },
      ...opts.service,
      ...extra,
    })
    if (!opts.noStart) await service.start()
    return { service, registry }
  }
  const first = await build()
  const h: Harness = {
    dir,
    sandbox,
    service: first.service,
    registry: first.registry,
    async restart(extra) {
      await h.service.stop()
      const next = await build(extra)
      h.service = next.service
      h.registry = next.registry
      return next.service
    },
    async close() {
      await h.service.stop()
      for (const c of clients) await c.close().catch(() => undefined)
      if (!opts.sandbox) await sandbox.close()
      if (!opts.dir) rmSync(dir, { recursive: true, force: true })
    },
  }
  return h
}

/** Claims every due event and completes each as failed (permanently) or delivered; how many. */
export async function claimAndFinish(
  storage: Storage,
  now: number,
  status: 'failed' | 'delivered',
  limit = 1000,
): Promise<number> {
  const claimed = (await storage.claim(limit, now, 60_000)).claims
  await storage.complete(
    claimed.map((c) => ({
      id: c.id,
      leaseId: c.leaseId,
      attemptsMade: 1,
      log: [],
      result:
        status === 'failed'
          ? { status, at: now, reason: 'permanent', error: 'HTTP 422' }
          : { status, at: now, transactionId: c.id },
    })),
    now,
  )
  return claimed.length
}

let counter = 0

export function track(
  email: string,
  event: string,
  properties: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): IncomingEvent {
  counter++
  return {
    source: 'tracking-api',
    receivedAt: Date.now(),
    payload: {
      type: 'track',
      event,
      userId: `user-${email}`,
      messageId: `msg-${process.pid}-${counter}-${Math.random().toString(36).slice(2)}`,
      properties: { email, ...properties },
      ...extra,
    },
  }
}

/** Polls until the check passes (liveness, not speed: the limit is generous). */
/** Polls until `check` gives a truthy value, and returns it (so never null or undefined). */
/**
 * The accepted events a console search finds, newest first (refusals left out): a search answers each
 * accepted event with every field of its record.
 */
export async function acceptedEvents(
  service: Pick<DeliveryService, 'searchEvents'>,
  query: EventSearch = {},
): Promise<Array<EventListItem & EventRecord>> {
  const { events } = await service.searchEvents({ limit: EVENTS_PAGE.max, ...query })
  return events.filter((e): e is EventListItem & EventRecord => !e.id.startsWith('r'))
}

export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  limitMs = 20_000,
): Promise<NonNullable<T>> {
  const until = Date.now() + limitMs
  let last: unknown
  for (;;) {
    try {
      const value = await check()
      if (value) return value as NonNullable<T>
    } catch (err) {
      last = err
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
