import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { AlertThresholds } from '../alerts/conditions.js'
import { type AlertDestination, emailDestination, webhookDestination } from '../alerts/destinations.js'
import { AlertMonitor } from '../alerts/monitor.js'
import type { DeliveryService } from '../pipeline/service-api.js'
import type { ReadModel, SettingsStore } from '../pipeline/storage/storage.js'
import { alertObserver } from './alert-observation.js'
import type { ServiceConfig } from './config.js'
import type { SettingsCheckRunner } from './settings-check-runner.js'

export interface AlertMonitorDeps {
  storage: ReadModel & SettingsStore
  service: DeliveryService
  checks: SettingsCheckRunner
  registry: Registry
  consoleUrl: () => string
  instance: string
  logger: Logger
}

/** The alert monitor as the options configure it (options-table.ts, `alert…`). */
export function alertMonitorFor(config: ServiceConfig, deps: AlertMonitorDeps): AlertMonitor {
  const destinations: AlertDestination[] = config.alertWebhooks.map(webhookDestination)
  if (config.alertEmails.length > 0 && config.smtpUrl !== null) {
    destinations.push(emailDestination(config.smtpUrl, config.alertEmailFrom, config.alertEmails))
  }
  return new AlertMonitor({
    record: deps.storage,
    observe: alertObserver({
      storage: deps.storage,
      service: deps.service,
      checks: deps.checks,
      windowMs: config.alertWindowMs,
      deliveredCount: () => metricTotal(deps.registry, 'perkville_events_delivered_total'),
    }),
    thresholds: thresholdsOf(config),
    destinations,
    consoleUrl: deps.consoleUrl,
    intervalMs: config.alertIntervalMs,
    retentionMs: config.retentionMs,
    instance: deps.instance,
    now: Date.now,
    logger: deps.logger,
  })
}

/** Each condition's threshold, as the options give it. */
export function thresholdsOf(config: ServiceConfig): AlertThresholds {
  return {
    credentialsAfterMs: config.alertCredentialsAfterMs,
    parkedMin: config.alertParked,
    firstTryBelowPercent: config.alertFirstTryBelow,
    minAttempts: config.alertMinAttempts,
    windowMs: config.alertWindowMs,
    stalledAfterMs: config.alertStalledAfterMs,
    oldestWaitingMs: config.alertOldestWaitingMs,
    storageAfterMs: config.alertStorageAfterMs,
    settingsCheck: config.alertSettingsCheck,
    refusalSurge: config.alertRefusalSurge,
    remindAfterMs: config.alertRemindAfterMs,
  }
}

async function metricTotal(registry: Registry, name: string): Promise<number> {
  const metric = registry.getSingleMetric(name)
  if (!metric) return 0
  const { values } = await metric.get()
  return values.reduce((n, v) => n + v.value, 0)
}
