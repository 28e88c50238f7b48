import { randomUUID } from 'node:crypto'
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { DestinationStream, Logger } from 'pino'
import { collectDefaultMetrics, Registry } from 'prom-client'
import { parseSettings, redactSettings, type Settings } from '../core/settings.js'
import { createPerkvilleClient } from '../perkville/client.js'
import { DEFAULT_BASE_URL } from '../perkville/wire.js'
import { createDeliveryService } from '../pipeline/index.js'
import type { DeliveryService } from '../pipeline/service-api.js'
import { redactDatabaseUrl } from '../pipeline/storage/postgres-url.js'
import { DEFAULT_TOKEN, type RunningSandbox, startSandbox } from '../sandbox/index.js'
import { alertMonitorFor } from './alert-monitor.js'
import { buildServer } from './app.js'
import { AuthThrottle, FAILED_ATTEMPTS } from './auth-throttle.js'
import { type BannerInfo, bannerExample } from './banner.js'
import type { ServiceConfig } from './config.js'
import { readContractCheck } from './contract-check-file.js'
import { prepareDataDir } from './data-dir.js'
import { type DataDirLock, lockDataDir } from './data-dir-lock.js'
import type { Lifecycle } from './deps.js'
import { loadOrCreateSecret } from './generated-secrets.js'
import { createLogger } from './logger.js'
import { openStorage } from './open-storage.js'
import {
  checkQueueDestination,
  movedWithSettings,
  queueDestination,
  recordQueueDestination,
} from './queue-destination.js'
import { checkWithOwnClient, SettingsCheckRunner } from './settings-check-runner.js'
import { reloadSettingsFile } from './settings-file-reload.js'
import { SettingsVersions } from './settings-versions.js'
import { warnWeakWebhookSignature } from './webhook-signature.js'

/** How often an instance on a shared database looks for settings versions recorded by the others. */
const FOLLOW_SETTINGS_MS = 5_000

/** The map used when no settings are given: the sandbox's seeded business, location and perks. */
export function defaultSettings(apiKey: string): Settings {
  return parseSettings({
    apiKey,
    businessId: '1001',
    locationId: '2001',
    eventToPerkMap: {
      'Order Completed': '3002',
      'Order Refunded': '3002',
      'Checked In': '3001',
      'Referral Sent': '3003',
    },
    sendEmail: false,
  })
}

export interface RunningService {
  url: string
  port: number
  app: FastifyInstance
  service: DeliveryService
  logger: Logger
  sandbox: RunningSandbox | null
  banner: BannerInfo
  /** Stops accepting requests, then stops delivery (in-flight work finished or released), then the sandbox. */
  stop(reason: string): Promise<void>
  /** Reads the --settings file again (SIGHUP) and applies it when it changed. */
  reloadSettings(): Promise<void>
}

export interface StartOptions {
  /** Where JSON logs go; stdout by default. */
  logDestination?: DestinationStream
  /**
   * The monotonic milliseconds the failed-admin-token limit refills by (auth-throttle.ts);
   * performance.now() by default. A test passes a clock it moves by hand.
   */
  throttleClock?: () => number
}

/** Starts everything `serve` runs, in dependency order; on a failure, stops what already started. */
export async function startService(
  config: ServiceConfig,
  options: StartOptions = {},
): Promise<RunningService> {
  const logger = createLogger(config.logLevel, options.logDestination)
  const dataDir = resolve(config.dataDir)
  // Creates it private (0700) and reads what an earlier start left before this one adds anything.
  prepareDataDir(dataDir, { sqlite: config.databaseUrl === null, logger })
  // Before anything else touches the directory: a second instance must leave it exactly as it was.
  const lock = lockDataDir(dataDir)
  try {
    return await startLocked(config, logger, dataDir, lock, options)
  } catch (err) {
    lock.release()
    throw err
  }
}

async function startLocked(
  config: ServiceConfig,
  logger: Logger,
  dataDir: string,
  lock: DataDirLock,
  options: StartOptions,
): Promise<RunningService> {
  if (config.readyFile) rmSync(config.readyFile, { force: true })

  const writeKey = config.writeKeys.length > 0 ? null : loadOrCreateSecret(dataDir, 'write-key', 'wk_')
  const adminToken = config.adminToken === null ? loadOrCreateSecret(dataDir, 'admin-token', 'adm_') : null
  for (const secret of [writeKey, adminToken]) {
    if (secret?.created)
      logger.info({ file: secret.path }, 'generated a new secret and stored it (mode 0600)')
  }

  // The URL's password never reaches a log line or the banner.
  const database =
    config.databaseUrl === null
      ? null
      : `${redactDatabaseUrl(config.databaseUrl)} (schema ${config.databaseSchema})`
  const { mode } = config
  // What has started so far, stopped newest first: on a failed start, and as the tail of a shutdown.
  const cleanups: Array<() => Promise<void>> = [async () => lock.release()]
  const cleanup = async () => {
    for (let step = cleanups.pop(); step !== undefined; step = cleanups.pop()) {
      await step().catch((err) => logger.error({ err }, 'clean-up step failed'))
    }
  }
  try {
    // loadConfig chooses the perkville mode only when settings are given.
    if (mode === 'perkville' && config.settings === null) throw new Error('the perkville mode needs settings')
    const given = config.settings ?? defaultSettings(DEFAULT_TOKEN)
    const storage = await openStorage({ ...config, dataDir }, logger)
    cleanups.push(() => storage.close())
    // The settings in force: the given ones, or a later version (the admin API) if they are unchanged.
    // One destination per queue: where this start would send, checked before anything is written.
    const perkvilleOf = () => (mode === 'embedded-sandbox' ? null : (config.perkvilleUrl ?? DEFAULT_BASE_URL))
    const versions = await SettingsVersions.open(
      storage,
      given,
      config.settingsFile !== null ? 'file' : 'start',
      logger.child({ component: 'settings' }),
      Date.now(),
      (inForce) =>
        checkQueueDestination(
          storage,
          queueDestination(perkvilleOf(), inForce),
          config.moveQueuedEvents,
          logger.child({ component: 'settings' }),
        ),
    )
    const settings = versions.settings
    await recordQueueDestination(storage, queueDestination(perkvilleOf(), settings))
    versions.onDescribe((before, next) =>
      movedWithSettings(
        storage,
        queueDestination(perkvilleOf(), before),
        queueDestination(perkvilleOf(), next),
      ),
    )
    let sandbox: RunningSandbox | null = null
    let perkvilleUrl: string
    if (mode === 'embedded-sandbox') {
      const sandboxDir = join(dataDir, 'sandbox')
      mkdirSync(sandboxDir, { recursive: true })
      // The sandbox accepts the settings' key, so a user's own settings file works against it too.
      const running = await startSandbox({
        dataDir: sandboxDir,
        port: config.sandboxPort,
        token: settings.apiKey,
      })
      sandbox = running
      cleanups.push(() => running.close())
      perkvilleUrl = running.url
    } else {
      perkvilleUrl = config.perkvilleUrl ?? DEFAULT_BASE_URL
    }

    const clientOptions = {
      baseUrl: perkvilleUrl,
      timeoutMs: config.perkvilleTimeoutMs,
      connections: Math.max(config.concurrency, 8),
    }
    const client = createPerkvilleClient({ ...clientOptions, token: settings.apiKey })
    cleanups.push(() => client.close())

    const registry = new Registry()
    collectDefaultMetrics({ register: registry })
    const service = await createDeliveryService({
      storage,
      sharedQueue: config.databaseUrl !== null,
      settings,
      settingsVersion: versions.version,
      decidesSince: versions.decidesSince,
      client,
      createClient: (next) => createPerkvilleClient({ ...clientOptions, token: next.apiKey }),
      registry,
      logger: logger.child({ component: 'pipeline' }),
      policy: config,
    })
    await service.start()
    cleanups.push(() => service.stop())
    // The check runs by itself: now (not awaited: Perkville may be slow) and after every change
    // (awaited, so a PUT answers with the check of what it set).
    const checks = new SettingsCheckRunner(
      (s) => checkWithOwnClient(s, clientOptions),
      logger.child({ component: 'settings-check' }),
      () => readContractCheck(dataDir),
    )
    void checks.run(settings)
    versions.onChange(async (next, version, decidesSince) => {
      await recordQueueDestination(storage, queueDestination(perkvilleOf(), next))
      await service.updateSettings(next, version, decidesSince)
      await checks.run(next)
    })

    // Instances sharing a database take up each other's settings changes (and so un-park together).
    if (config.databaseUrl !== null) {
      const follow = setInterval(() => {
        versions.refresh().catch((err) => logger.warn({ err }, 'settings: could not read newer versions'))
      }, FOLLOW_SETTINGS_MS)
      follow.unref()
      cleanups.push(async () => clearInterval(follow))
    }

    // Alerts look at the service from here on; their links point at the console once it listens.
    let consoleUrl = config.publicUrl ?? `http://${displayHost(config.host)}:${config.port}`
    const alerts = alertMonitorFor(config, {
      storage,
      service,
      checks,
      registry,
      consoleUrl: () => consoleUrl,
      instance: randomUUID(),
      logger: logger.child({ component: 'alerts' }),
    })
    alerts.start()
    cleanups.push(() => alerts.stop())

    const lifecycle: Lifecycle = { shuttingDown: false }
    const httpLogger = logger.child({ component: 'http' })
    const app = await buildServer({
      service,
      writeKeys: writeKey ? [writeKey.value] : config.writeKeys,
      adminToken: config.adminToken ?? adminToken?.value ?? '',
      webhookSecret: config.webhookSecret,
      webhookSignature: config.webhookSignature,
      timeouts: { headersMs: config.headersTimeoutMs, requestMs: config.requestTimeoutMs },
      publicUrl: config.publicUrl,
      trustProxy: config.trustProxy,
      settingsVersions: versions,
      settingsCheck: checks,
      alerts,
      registry,
      logger: httpLogger,
      lifecycle,
      ...(options.throttleClock
        ? { authThrottle: new AuthThrottle(httpLogger, FAILED_ATTEMPTS, options.throttleClock) }
        : {}),
    })
    try {
      await app.listen({ port: config.port, host: config.host })
    } catch (err) {
      if ((err as { code?: string }).code !== 'EADDRINUSE') throw err
      throw new Error(
        `port ${config.port} on ${config.host} is already in use (another instance, or another program): choose another with --port <n> or PORT=<n> (0 picks a free one)`,
      )
    }
    const address = app.server.address()
    const port = typeof address === 'object' && address !== null ? address.port : config.port
    const url = `http://${displayHost(config.host)}:${port}`
    consoleUrl = config.publicUrl ?? url

    logger.info(
      {
        url,
        mode,
        perkvilleUrl,
        settings: { ...redactSettings(settings), apiKey: undefined },
        dataDir,
        database: database ?? 'sqlite',
        writeKeyCount: writeKey ? 1 : config.writeKeys.length,
        webhook: config.webhookSecret ? 'signature' : 'write key',
        concurrency: config.concurrency,
        sources: config.sources,
      },
      'delivery service listening',
    )
    warnWeakWebhookSignature(config, logger)
    if (config.readyFile)
      writeReadyFile(config.readyFile, {
        url,
        port,
        pid: process.pid,
        sandboxUrl: sandbox?.url ?? null,
        dataDir,
      })

    let stopping: Promise<void> | null = null
    const stop = (reason: string) => {
      stopping ??= (async () => {
        lifecycle.shuttingDown = true
        logger.info({ reason }, 'shutting down: no longer accepting requests')
        await closeServer(app)
        logger.info('HTTP server closed; stopping delivery')
        // service.stop() is the newest clean-up step, then the storage, the client, the embedded sandbox.
        await cleanup()
        if (config.readyFile) rmSync(config.readyFile, { force: true })
        logger.info('stopped')
      })()
      return stopping
    }

    return {
      url,
      port,
      app,
      service,
      logger,
      sandbox,
      stop,
      reloadSettings: () =>
        reloadSettingsFile(config.settingsFile, versions, logger.child({ component: 'settings' })),
      banner: {
        url,
        writeKeyFile: writeKey?.path ?? null,
        adminTokenFile: adminToken?.path ?? null,
        sandboxOrigin: sandbox?.origin ?? null,
        sandboxUrl: sandbox?.url ?? null,
        perkvilleUrl,
        dataDir,
        publicUrl: config.publicUrl,
        trustProxy: config.trustProxy,
        ...(database !== null ? { database } : {}),
        webhookSigned: config.webhookSecret !== null,
        example: bannerExample(settings),
      },
    }
  } catch (err) {
    await cleanup()
    throw err
  }
}

/**
 * Fastify's close waits for requests in progress; connections kept alive by clients are closed as
 * soon as they go idle so shutdown does not wait for their keep-alive timeout.
 */
async function closeServer(app: FastifyInstance): Promise<void> {
  const sweep = setInterval(() => app.server.closeIdleConnections(), 100)
  try {
    await app.close()
  } finally {
    clearInterval(sweep)
  }
}

function writeReadyFile(path: string, content: object): void {
  const temporary = `${path}.${process.pid}.tmp`
  writeFileSync(temporary, `${JSON.stringify(content)}\n`)
  renameSync(temporary, path)
}

function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1'
  return host.includes(':') ? `[${host}]` : host
}
