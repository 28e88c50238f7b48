import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { AlertMonitor } from '../alerts/monitor.js'
import type { DeliveryService } from '../pipeline/service-api.js'
import type { AuthThrottle } from './auth-throttle.js'
import type { BodyBudget } from './body-budget.js'
import type { ConsoleSessions } from './console-session.js'
import type { SettingsCheckRunner } from './settings-check-runner.js'
import type { SettingsVersions } from './settings-versions.js'
import type { HttpTimeouts } from './timeouts.js'
import type { WebhookSignature } from './webhook-signature.js'

/**
 * What the HTTP server and its plugins are built from, complete: buildServer makes the shared parts
 * its caller left out before any plugin sees them. The app and each plugin import it from here.
 */
export interface ServerDeps {
  service: DeliveryService
  /** Keys accepted for the tracking API (and the webhook when no secret is set). */
  writeKeys: readonly string[]
  adminToken: string
  /** Request body bytes worked on at once, shared by every route that reads events. */
  bodyBudget: BodyBudget
  /** Signed-in console sessions (in memory), shared by the console's sign-in and /admin's authentication. */
  consoleSessions: ConsoleSessions
  /** Failed admin-token attempts per address (sign-in and Bearer). */
  authThrottle: AuthThrottle
  /** The URL browsers reach the service at (a proxy's); null: as each request says. */
  publicUrl?: string | null
  /** Proxies whose X-Forwarded-* headers are believed (`--trust-proxy`); absent: none. */
  trustProxy?: readonly string[]
  /** The destination settings as versions (GET/PUT /admin/settings); absent: those routes answer 404. */
  settingsVersions?: SettingsVersions
  /** The settings check run by the service (at start, after changes); absent: not shown. */
  settingsCheck?: SettingsCheckRunner
  /** Alerts (GET /admin/alerts, POST /admin/alerts/test); absent: those routes answer 404. */
  alerts?: AlertMonitor
  /** When set, /webhook requires a valid X-Signature instead of a write key. */
  webhookSecret: string | null
  /** What X-Signature must cover (webhook-signature.ts). */
  webhookSignature: WebhookSignature
  /** Slow-client bounds (timeouts.ts). */
  timeouts: HttpTimeouts
  registry: Registry
  logger: Logger
  /** Shared by /healthz, /readyz and /admin/health. */
  lifecycle: Lifecycle
}

/** The parts buildServer makes when its caller does not give them. */
type MadeByServer = 'bodyBudget' | 'consoleSessions' | 'authThrottle' | 'lifecycle'

/** What buildServer is given: ServerDeps, with the parts it can make itself optional. */
export type ServerOptions = Omit<ServerDeps, MadeByServer> & Partial<Pick<ServerDeps, MadeByServer>>

export interface Lifecycle {
  /** Set when shutdown began: /readyz answers 503 from then on. */
  shuttingDown: boolean
}

/** The options every plugin of the server is registered with. */
export interface PluginOptions {
  deps: ServerDeps
}
