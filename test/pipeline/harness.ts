import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { Registry } from 'prom-client'
import { parseSettings, type Settings } from '../../src/core/settings.js'
import { createPerkvilleClient } from '../../src/perkville/client.js'
import { createDeliveryService, type DeliveryServiceOptions } from '../../src/pipeline/index.js'
import type { DeliveryService, IncomingEvent } from '../../src/pipeline/service-api.js'
import { type Faults, type RunningSandbox, startSandbox } from '../../src/sandbox/index.js'

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

export interface Harness {
  dir: string
  sandbox: RunningSandbox
  service: DeliveryService
  registry: Registry
  restart(extra?: Partial<DeliveryServiceOptions>): Promise<DeliveryService>
  close(): Promise<void>
}

export interface HarnessOptions {
  faults?: Faults
  token?: string
  clientTimeoutMs?: number
  service?: Partial<DeliveryServiceOptions>
  /** Do not call start(). */
  noStart?: boolean
  dir?: string
  sandbox?: RunningSandbox
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'pipeline-'))
  const sandbox =
    opts.sandbox ?? (await startSandbox({ memory: true, ...(opts.faults ? { faults: opts.faults } : {}) }))
  const clients: Array<{ close(): Promise<void> }> = []
  const build = async (extra: Partial<DeliveryServiceOptions> = {}) => {
    const token = opts.token ?? sandbox.token
    const client = createPerkvilleClient({
      baseUrl: sandbox.url,
      token,
      timeoutMs: opts.clientTimeoutMs ?? 2_000,
    })
    clients.push(client)
    const registry = new Registry()
    const service = await createDeliveryService({
      dataDir: dir,
      settings: settingsFor(token),
      client,
      registry,
      logger: pino({ level: 'silent' }),
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
