import { createAdminOperations } from './admin-operations.js'
import { createConsoleOperations } from './console-operations.js'
import { CredentialsGate } from './credentials.js'
import { Destination } from './destination.js'
import { DropLog } from './door.js'
import { createIntake } from './intake.js'
import { ServiceLifecycle } from './lifecycle.js'
import { LiveEvents } from './live-events.js'
import { createMetrics } from './metrics.js'
import { type DeliveryServiceOptions, TUNING } from './options.js'
import { QueueDepth } from './queue-depth.js'
import { Retention } from './retention.js'
import { Scheduler } from './scheduler.js'
import type { DeliveryService, Health, IncomingEvent } from './service-api.js'
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
  const destination = new Destination(opts.settings, opts.client, opts.createClient, logger)
  const depth = await QueueDepth.load(storage)
  const drops = new DropLog()
  drops.seed(await storage.dropTotals())

  const wake = () => scheduler.wake()
  const gate = new CredentialsGate({
    probeMs: policy.credentialsProbeMs,
    now,
    logger,
    target: () => ({
      client: destination.client,
      businessId: destination.settings.businessId,
      secrets: destination.secrets(),
    }),
    onResume: wake,
  })
  const metrics = createMetrics(
    opts.registry,
    () => depth.value,
    () => gate.paused,
  )
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
  })
  const scheduler: Scheduler = new Scheduler({
    storage,
    concurrency: policy.concurrency,
    leaseMs: policy.leaseMs,
    pollMs: tuning.pollMs,
    now,
    logger,
    capacity: () => (lifecycle.shuttingDown ? 0 : gate.capacity(policy.concurrency)),
    run: worker.run,
  })
  const retention = new Retention({
    storage,
    now,
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
    droppedCounts: () => drops.totals(),
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
    async updateSettings(next) {
      destination.update(next)
      gate.reset()
      wake()
      if (lifecycle.started && !lifecycle.stopped) void gate.probe()
    },
    start: () => lifecycle.start(),
    stop: () => lifecycle.stop(),
  }
}
