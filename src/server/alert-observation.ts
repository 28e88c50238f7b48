import type { Observation } from '../alerts/conditions.js'
import type { Sighting } from '../alerts/monitor.js'
import { firstTryShares } from '../pipeline/range-tally.js'
import type { DeliveryService } from '../pipeline/service-api.js'
import type { ReadModel } from '../pipeline/storage/storage.js'
import type { SettingsCheckRunner } from './settings-check-runner.js'

export interface AlertObservationDeps {
  storage: ReadModel
  service: DeliveryService
  checks: SettingsCheckRunner
  /** The deliverability and refusal-surge window. */
  windowMs: number
  /** This instance's delivered count (its metrics counter), to see a delivery the store's newest-received one hides. */
  deliveredCount: () => Promise<number>
}

/**
 * What the alert conditions look at, from what the service already knows: the credentials gate,
 * the settings check, write health and the overview's index-only counts. A store that cannot be read
 * is itself the storage condition; the rest of that look is then skipped (`storeRead` false), so an
 * outage never reads as "everything cleared".
 */
export function alertObserver(deps: AlertObservationDeps): (now: number) => Promise<Sighting> {
  let storageSince: number | null = null
  let delivered: { count: number; at: number } | null = null
  return async (now) => {
    const { service, storage } = deps
    const credentials = service.credentials()
    const check = deps.checks.view()
    const base: Omit<Observation, 'storageProblemSince'> = {
      credentials: {
        rejected: credentials.state === 'rejected',
        since: credentials.since === null ? null : Date.parse(credentials.since),
      },
      waiting: 0,
      parked: [],
      window: { sent: 0, firstTry: 0 },
      oldestWaitingAt: null,
      lastDeliveredAt: null,
      settingsCheck: {
        failed: check.state === 'problem' ? check.items.filter((i) => !i.ok).map((i) => i.item) : [],
        checkedAt: check.checkedAt === null ? null : Date.parse(check.checkedAt),
      },
      refusals: [],
    }
    let storeRead = false
    let facts: Partial<Observation> = {}
    try {
      const health = await service.health()
      const from = now - deps.windowMs
      const [statuses, refusals, parked, oldest, newest, count] = await Promise.all([
        storage.statusCounts(from, now + 1),
        storage.refusalCounts(from, now + 1),
        storage.parkedByReason(),
        storage.oldestWaiting(),
        storage.newestDelivery(),
        deps.deliveredCount(),
      ])
      if (delivered === null || count !== delivered.count)
        delivered = { count, at: delivered === null ? 0 : now }
      facts = {
        waiting: health.queueDepth,
        parked,
        window: firstTryShares(statuses),
        oldestWaitingAt: oldest,
        lastDeliveredAt: Math.max(newest ?? 0, delivered.at) || null,
        refusals: refusals.filter((r) => r.kind === 'reject').map(({ code, count }) => ({ code, count })),
      }
      storeRead = health.storage === 'ok'
    } catch {
      storeRead = false
    }
    storageSince = storeRead ? null : (storageSince ?? now)
    return { ...base, ...facts, storageProblemSince: storageSince, storeRead }
  }
}
