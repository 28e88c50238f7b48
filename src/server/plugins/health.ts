import type { FastifyPluginAsync } from 'fastify'
import type { PluginOptions, ServerDeps } from '../deps.js'

/**
 * What stops delivery, for the admin API (`GET /admin/health`, the console's banner): the credentials
 * state with what to do, and the settings check's failed items (item names: the details are in
 * GET /admin/settings).
 */
export function healthDetails(deps: Pick<ServerDeps, 'service' | 'settingsCheck' | 'lifecycle'>) {
  const { lifecycle } = deps
  const credentials = deps.service.credentials()
  const settings = deps.settingsCheck?.summary()
  return {
    status: 'ok' as const,
    healthy: credentials.state !== 'rejected' && settings?.state !== 'problem' && !lifecycle.shuttingDown,
    shuttingDown: lifecycle.shuttingDown,
    credentials: {
      state: credentials.state,
      since: credentials.since,
      message: credentials.message,
      action: credentials.action,
    },
    ...(settings ? { settings } : {}),
  }
}

/** Liveness, readiness and Prometheus metrics; open (no secrets are shown). */
export const healthRoutes: FastifyPluginAsync<PluginOptions> = async (app, { deps }) => {
  const { lifecycle } = deps
  // Alive as long as the process answers; a credentials pause or a failed settings check makes it
  // unhealthy, never "dead". Open, so it says only that: the failed items named the map's events
  // (789 KB with a large map); the details are in GET /admin/health, behind the token.
  app.get('/healthz', async () => {
    const { status, healthy, shuttingDown } = healthDetails(deps)
    return { status, healthy, shuttingDown }
  })

  app.get('/readyz', async (_request, reply) => {
    const reasons: string[] = []
    let queueDepth: number | null = null
    if (lifecycle.shuttingDown) reasons.push('shutting down')
    try {
      const health = await deps.service.health()
      queueDepth = health.queueDepth
      if (health.storage !== 'ok')
        reasons.push(`storage is not available${health.storageProblem ? `: ${health.storageProblem}` : ''}`)
      if (health.shuttingDown && !lifecycle.shuttingDown) reasons.push('delivery service is stopping')
    } catch (err) {
      reasons.push(`storage check failed: ${(err as Error).message}`)
    }
    if (reasons.length > 0) reply.code(503)
    return { ready: reasons.length === 0, reasons, queueDepth }
  })

  app.get('/metrics', async (_request, reply) => {
    const text = await deps.registry.metrics()
    reply.header('content-type', deps.registry.contentType)
    return text
  })
}
