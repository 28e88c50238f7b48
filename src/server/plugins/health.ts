import type { FastifyPluginAsync } from 'fastify'
import type { Lifecycle, PluginOptions } from '../deps.js'

/** Liveness, readiness and Prometheus metrics; open (no secrets are shown). */
export const healthRoutes: FastifyPluginAsync<PluginOptions & { lifecycle: Lifecycle }> = async (
  app,
  { deps, lifecycle },
) => {
  // Alive as long as the process answers; the credentials state is shown so an operator can see a
  // delivery pause and what to do about it, but it never makes the service "dead".
  app.get('/healthz', async () => {
    const credentials = deps.service.credentials()
    return {
      status: 'ok',
      shuttingDown: lifecycle.shuttingDown,
      credentials: {
        state: credentials.state,
        since: credentials.since,
        message: credentials.message,
        action: credentials.action,
      },
      // Item names only: the details (and what to do) are in GET /admin/settings, behind the token.
      ...(deps.settingsCheck ? { settings: deps.settingsCheck.summary() } : {}),
    }
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
