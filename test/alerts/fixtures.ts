import type { Observation } from '../../src/alerts/conditions.js'
import { thresholdsOf } from '../../src/server/alert-monitor.js'
import { defaultConfig } from '../../src/server/config.js'

/** The thresholds as the options' defaults give them. */
export const DEFAULT_THRESHOLDS = thresholdsOf(defaultConfig())

/** A service with nothing wrong. */
export const CALM: Observation = {
  credentials: { rejected: false, since: null },
  waiting: 0,
  parked: [],
  window: { sent: 0, firstTry: 0 },
  oldestWaitingAt: null,
  lastDeliveredAt: null,
  storageProblemSince: null,
  settingsCheck: { failed: [], checkedAt: null },
  refusals: [],
}
