import { createAdminOperations } from './admin-operations.js'
import { systemTimers } from './clock.js'
import { createConsoleOperations } from './console-operations.js'
import { CredentialsGate } from './credentials.js'
import { Destination } from './destination.js'
import { DropLog, refusalTotals } from './door.js'
import { createIntake } from './intake.js'
import { ServiceLifecycle } from './lifecycle.js'
import { LiveEvents } from './live-events.js'
import { createMetrics } from './metrics.js'
import { type DeliveryServiceOptions, TUNING } from './options.js'
import { decideOrder } from './order-rules.js'
import { QueueDepth } from './queue-depth.js'
import { Retention } from './retention.js'
import { Scheduler } from './scheduler.js'
import type { DeliveryService, Health, IncomingEvent } from './service-api.js'
import type { AcceptContext } from './storage/storage.js'
import { TroubleLog } from './trouble-log.js'
import { createWorker } from './worker.js'
import { WriteHealth } from './write-health.js'

/**
 * The delivery pipeline, put together from its parts: intake (door and durable accept), the worker
 * pool (claim, deliver, record), admin operations, retention and the credentials gate, started and
 * stopped in order by the lifecycle.
 */
export async function createDeliveryService(opts: DeliveryServiceOptions): Promise<DeliveryService> {
  const { storage, logger, policy } = opts
  const tuning = { ...TUNING, ...opts.tuning }
  const now = opts.now ?? Date.now
  const timers = opts.timers ?? systemTimers
  const destination = new Destination(
    opts.settings,
    opts.settingsVersion ?? 0,
    opts.client,
    opts.createClient,
    logger,
    opts.decidesSince ?? opts.settingsVersion ?? 0,
  )
  const rules = { oneAwardPerOrder: policy.oneAwardPerOrder, capRefunds: policy.capRefunds }
  const orderRule: AcceptContext['orderRule'] = (tx, ledger) => decideOrder(rules, tx, ledger)
  const depth = await QueueDepth.load(storage)
  const drops = new DropLog()

  const wake = () => scheduler.wake()
  const gate = new CredentialsGate({
    probeMs: policy.credentialsProbeMs,
    now,
    timers,
    logger,
    target: () => ({
      client: destination.client,
      businessId: destination.settings.businessId,
      secrets: destination.secrets(),
    }),
    onResume: wake,
  })
  let parkedNow = 0
  const metrics = createMetrics(
    opts.registry,
    () => depth.value,
    () => gate.paused,
    () => parkedNow,
  )
  const trouble = new TroubleLog(logger, now)
  const lookForTrouble = async () => {
    try {
      const w = await storage.waiting()
      parkedNow = w.parked
      const g = gate.state()
      trouble.report({
        retrying: w.retrying,
        parked: w.parked,
        paused: gate.paused ? (g.message ?? 'Perkville rejected the credentials') : null,
        lastError: w.lastError,
      })
    } catch (err) {
      logger.debug({ err }, 'could not look at waiting events')
    }
  }
  let troubleTimer: NodeJS.Timeout | null = null
  // New trouble is looked at within a second, not at the next periodic look; the log throttles itself.
  let troubleSoon: NodeJS.Timeout | null = null
  const noteWaiting = () => {
    if (troubleSoon !== null || troubleTimer === null) return
    troubleSoon = setTimeout(() => {
      troubleSoon = null
      void lookForTrouble()
    }, 1_000)
    troubleSoon.unref()
  }
  const writes = new WriteHealth({ storage, now, probeMs: tuning.pollMs, logger, onRecovered: wake })
  const live = new LiveEvents()
  const intake = createIntake({
    storage,
    destination,
    drops,
    metrics,
    depth,
    policy,
    now,
    wake,
    spare: () => scheduler.spare,
    writes,
    live,
  })
  const worker = createWorker({
    storage,
    destination,
    gate,
    metrics,
    depth,
    policy,
    tuning,
    now,
    ...(opts.random ? { random: opts.random } : {}),
    logger,
    stopped: () => lifecycle.stopped,
    writes,
    live,
    orderRule,
    noteWaiting,
  })
  const scheduler: Scheduler = new Scheduler({
    storage,
    concurrency: policy.concurrency,
    leaseMs: policy.leaseMs,
    pollMs: tuning.pollMs,
    now,
    timers,
    logger,
    capacity: () => (lifecycle.shuttingDown ? 0 : gate.capacity(policy.concurrency)),
    run: worker.run,
  })
  const retention = new Retention({
    storage,
    now,
    timers,
    retentionMs: policy.retentionMs,
    dedupWindowMs: policy.dedupWindowMs,
    intervalMs: tuning.pruneIntervalMs,
    logger,
  })
  const lifecycle = new ServiceLifecycle({
    storage,
    sharedQueue: opts.sharedQueue,
    depth,
    gate,
    scheduler,
    retention,
    intake,
    worker,
    writes,
    destination,
    stopTimeoutMs: tuning.stopTimeoutMs,
    now,
    logger,
  })

  const accept = async (events: IncomingEvent[]) => {
    if (lifecycle.shuttingDown) throw new Error('the delivery service is shutting down')
    return intake.accept(events)
  }
  return {
    accept,
    ...createAdminOperations({ storage, depth, now, wake }),
    ...createConsoleOperations({ storage, destination, depth, live, now, accept, wake }),
    droppedSamples: () => drops.samples(),
    // From the refusals kept: every instance sharing the store counts every instance's drops.
    droppedCounts: async () => refusalTotals(await storage.dropTotals()),
    credentials: () => gate.state(),
    // Kept as long as the events themselves, so a replayed signature meets its binding.
    bindSignedBody: (messageId, digest) =>
      storage.bindSignedBody(
        messageId,
        digest,
        now(),
        now() - Math.max(policy.dedupWindowMs, policy.retentionMs),
      ),
    async health(): Promise<Health> {
      const ok = (await storage.ping()) && (await writes.check())
      const problem = writes.problem()
      return {
        storage: ok ? 'ok' : 'error',
        ...(problem !== null ? { storageProblem: problem } : {}),
        shuttingDown: lifecycle.shuttingDown,
        credentials: gate.state(),
        queueDepth: depth.value,
      }
    },
    async updateSettings(next, version = destination.version + 1, decidesSince?: number) {
      destination.update(next, version, decidesSince)
      gate.reset()
      // Parked events wait for exactly this: they are decided again under the new version when claimed.
      const unparked = await storage.unpark(now(), version)
      if (unparked > 0) {
        depth.add(unparked)
        logger.info({ unparked, version }, 'parked events are queued again under the new settings')
      }
      wake()
      if (lifecycle.started && !lifecycle.stopped) void gate.probe()
      void lookForTrouble()
    },
    async start() {
      // Settings changed while the service was stopped (an edited file): events parked under older
      // settings are decided again under these.
      if (destination.version > 0) {
        const unparked = await storage.unpark(now(), destination.version)
        if (unparked > 0) {
          depth.add(unparked)
          logger.info(
            { unparked, version: destination.version },
            'parked events are queued again under the settings in force',
          )
        }
      }
      await lifecycle.start()
      void lookForTrouble()
      troubleTimer ??= setInterval(() => void lookForTrouble(), tuning.troubleCheckMs)
      troubleTimer.unref()
    },
    async stop() {
      if (troubleTimer) clearInterval(troubleTimer)
      if (troubleSoon) clearTimeout(troubleSoon)
      troubleTimer = null
      await lifecycle.stop()
    },
  }
}
