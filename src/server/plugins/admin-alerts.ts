import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { ServerDeps } from '../deps.js'
import { HttpError } from '../http-error.js'
import { limitQuery, needed } from './admin-parts.js'

const listQuery = limitQuery(500)

/**
 * Alerts under /admin/alerts, inside the admin plugin so its authentication covers them: where they
 * go (labels only: a webhook's secret path and the SMTP login never appear), the thresholds, what
 * fired and when it cleared; and a test message to every destination.
 */
export function registerAlertRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const monitor = needed(() => deps.alerts, 'this server sends no alerts')
  const typed = app.withTypeProvider<ZodTypeProvider>()

  typed.get('/alerts', { schema: { querystring: listQuery } }, async (request) => {
    const alerts = monitor()
    const rows = await alerts.history(request.query.limit ?? 100)
    return {
      ...alerts.describe(),
      alerts: rows.map((r) => ({
        id: r.id,
        alert: r.alert,
        key: r.key,
        reason: r.reason,
        state: r.resolvedAt === null ? 'firing' : 'resolved',
        since: new Date(r.since).toISOString(),
        firedAt: new Date(r.firedAt).toISOString(),
        resolvedAt: r.resolvedAt === null ? null : new Date(r.resolvedAt).toISOString(),
        count: r.count,
        reminders: r.reminders,
        lastSeenAt: new Date(r.seenAt).toISOString(),
      })),
    }
  })

  typed.post('/alerts/test', async () => {
    const alerts = monitor()
    if (alerts.describe().destinations.length === 0) {
      throw new HttpError(
        409,
        'no alert destination is configured: start the service with --alert-webhook or --alert-email and --smtp-url',
        'NO_ALERT_DESTINATIONS',
      )
    }
    return { results: await alerts.sendTest() }
  })
}
