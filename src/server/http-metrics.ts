import type { FastifyInstance } from 'fastify'
import { Counter, Histogram, type Registry } from 'prom-client'

/**
 * Counts every answer by route and status, times it, and logs it at debug (a no-op unless enabled).
 */
export function installHttpMetrics(app: FastifyInstance, registry: Registry): void {
  const requests = new Counter({
    name: 'perkville_http_requests_total',
    help: 'HTTP requests answered, by route template, method and status code.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  })
  const duration = new Histogram({
    name: 'perkville_http_request_duration_seconds',
    help: 'Time from request start to answer, by route template.',
    labelNames: ['route'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  })

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched'
    const status = reply.statusCode
    requests.inc({ route, method: request.method, status: String(status) })
    duration.observe({ route }, reply.elapsedTime / 1000)
    // Failures are logged once, with their reason, by the error handler; this is the per-request trace.
    request.log.debug({ route, status, ms: reply.elapsedTime, client: request.ip }, 'answered')
  })
}
