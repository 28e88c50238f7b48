import type { Logger } from 'pino'
import type { CredentialsGate } from './credentials.js'
import { decideAgain } from './decide-again.js'
import { deliverOne, type ToSend } from './deliver.js'
import type { Destination } from './destination.js'
import { createGroupCommit } from './group-commit.js'
import type { LiveEvents } from './live-events.js'
import { outcomeSummary } from './live-summary.js'
import type { PipelineMetrics } from './metrics.js'
import type { DeliveryPolicy, Tuning } from './options.js'
import type { QueueDepth } from './queue-depth.js'
import type { AcceptContext, ClaimedEvent, Completion, QueueStore } from './storage/storage.js'
import { releaseOf, type WriteHealth } from './write-health.js'

export interface WorkerDeps {
  storage: QueueStore
  destination: Destination
  gate: CredentialsGate
  metrics: PipelineMetrics
  depth: QueueDepth
  policy: DeliveryPolicy
  tuning: Tuning
  now: () => number
  random?: () => number
  logger: Logger
  /** True once the service stopped: a late outcome is then expected, not an error. */
  stopped: () => boolean
  /** Holds claims whose outcome could not be recorded, to release them once writes work. */
  writes: WriteHealth
  /** The live feed, told of every delivery, retry and failure. */
  live?: LiveEvents
  /** The order policy, run again when an event is decided again under newer settings. */
  orderRule: AcceptContext['orderRule']
  /** An event started waiting (retrying or parked): the operator should hear about it soon. */
  noteWaiting: () => void
}

/**
 * One delivery from claim to recorded outcome: send (or look up) the transaction, record the
 * outcome in a group commit with the others finishing at the same time, count it.
 */
export function createWorker(deps: WorkerDeps) {
  const { storage, metrics, depth, gate, logger, now } = deps
  const commit = createGroupCommit<Completion, boolean>(async (completions) => {
    const { applied, cascadedFailures } = await storage.complete(completions, now())
    if (cascadedFailures > 0) {
      depth.remove(cascadedFailures)
      metrics.failed.inc({ reason: 'refund_exceeds_order' }, cascadedFailures)
    }
    return applied
  })

  /** Under newer settings than it was decided with, the event is decided again before it is sent. */
  async function decideAgainIfStale(claim: ClaimedEvent): Promise<ToSend | null> {
    const { settings, version, decidesSince } = deps.destination
    // The attempt goes out under the version in force, decided again or not.
    if (claim.settingsVersion >= decidesSince) return { tx: claim.tx, settingsVersion: version }
    const at = now()
    const r = await storage.redecide(
      {
        id: claim.id,
        leaseId: claim.leaseId,
        at,
        settingsVersion: version,
        verdict: decideAgain(settings, claim.payload),
      },
      { now: at, orderRule: deps.orderRule },
    )
    switch (r.kind) {
      case 'send':
        return { tx: r.tx, settingsVersion: version }
      case 'lost':
        return null
      case 'parked':
        depth.remove(1)
        metrics.parked.inc({ reason: 'not_awarded' })
        deps.noteWaiting()
        logger.info({ eventId: claim.id, version }, 'event parked: the settings in force no longer award it')
        return null
      case 'failed':
        depth.remove(1)
        metrics.failed.inc({ reason: r.reason })
        logger.warn(
          { eventId: claim.id, reason: r.reason },
          'event failed by an order rule when decided again',
        )
        return null
    }
  }

  async function run(claim: ClaimedEvent): Promise<void> {
    const out = await deliverOne(claim, {
      beforeSend: () => decideAgainIfStale(claim),
      settingsVersion: () => deps.destination.version,
      client: deps.destination.client,
      secrets: deps.destination.secrets(),
      now,
      backoff: deps.tuning.backoff,
      retryForMs: deps.policy.retryForMs,
      ...(deps.random ? { random: deps.random } : {}),
    })
    // Pause before this worker frees its slot, so no other claim meets the same 401.
    if (out.credentials) gate.reject(out.credentials.status, out.credentials.message)
    const { completion } = out
    if (completion === null) return
    try {
      // A completion whose lease was lost changed nothing (another claim owns the event now).
      const applied = await commit.submit(completion)
      deps.writes.succeeded()
      if (!applied) return
    } catch (err) {
      // The lease stays in storage; the event is settled by lookup when claimed again.
      if (deps.stopped())
        logger.info({ eventId: claim.id }, 'delivery finished after shutdown; it is settled at next start')
      else {
        logger.error({ err, eventId: claim.id }, 'recording a delivery outcome failed')
        // Released as soon as writes work again, not when the lease runs out.
        deps.writes.hold(claim)
        deps.writes.failed(err)
      }
      return
    }
    const r = completion.result
    if (deps.live?.watched) deps.live.publish(outcomeSummary(claim, r))
    if (r.status === 'delivered') {
      depth.remove(1)
      metrics.delivered.inc()
      if (out.latencyMs !== null) metrics.latency.observe(out.latencyMs / 1000)
      if (gate.state().state !== 'ok') gate.accepted()
    } else if (r.status === 'failed') {
      depth.remove(1)
      metrics.failed.inc({ reason: r.reason })
      logger.warn({ eventId: claim.id, reason: r.reason, error: r.error }, 'event failed')
    } else if (r.status === 'skipped') {
      depth.remove(1)
      metrics.skipped.inc({ code: r.reason })
      logger.info({ eventId: claim.id, code: r.reason }, 'event skipped by Perkville: nothing to award')
    } else if (r.status === 'parked') {
      depth.remove(1)
      metrics.parked.inc({ reason: r.reason })
      deps.noteWaiting()
      logger.warn(
        { eventId: claim.id, reason: r.reason, error: r.error },
        'event parked until the settings change',
      )
    } else if (r.status === 'retrying' && out.retry) {
      metrics.retries.inc({ kind: out.retry })
      deps.noteWaiting()
    }
  }

  /** Gives unfinished claims back as unknown outcomes, to be settled by lookup before any resend. */
  async function release(claims: ClaimedEvent[]): Promise<void> {
    await storage.complete(
      claims.map((c) => releaseOf(c, now())),
      now(),
    )
  }

  return { run, release, drain: () => commit.drain() }
}
