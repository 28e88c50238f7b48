import type { FastifyPluginAsync, FastifySchemaValidationError } from 'fastify'
import { validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import { parseJson } from '../../core/json-syntax.js'
import { adminAuthHook } from '../admin-auth.js'
import { checkRange, eventsQuery, replayBody, schemaError, statsQuery } from '../admin-queries.js'
import type { PluginOptions } from '../deps.js'
import { badRequest, HttpError } from '../http-error.js'
import { registerAlertRoutes } from './admin-alerts.js'
import { registerConsoleRoutes } from './admin-console.js'
import { registerSettingsRoutes } from './admin-settings.js'
import { healthDetails } from './health.js'

const DAY_MS = 86_400_000

/** The operator's API under /admin; every route needs the admin token or a console session (admin-auth.ts). */
export const adminRoutes: FastifyPluginAsync<PluginOptions> = async (instance, { deps }) => {
  const { service } = deps
  // Queries and bodies are checked by each route's zod schema; a failure is one 400 naming each field.
  const app = instance.withTypeProvider<ZodTypeProvider>()
  app.setValidatorCompiler(validatorCompiler)
  app.setSchemaErrorFormatter((errors: FastifySchemaValidationError[], dataVar) =>
    schemaError(errors, dataVar),
  )
  // An empty JSON body is fine here (retry takes none); a malformed one is a 400 without an echo.
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
    if (text === '' || (typeof text === 'string' && text.trim() === '')) return done(null, undefined)
    const parsed = parseJson(text as string)
    if (parsed.ok) done(null, parsed.value)
    else done(badRequest('INVALID_JSON', `invalid JSON at ${parsed.message}`), undefined)
  })

  app.addHook('onRequest', adminAuthHook(deps))

  registerSettingsRoutes(app, deps)
  registerConsoleRoutes(app, deps)
  registerAlertRoutes(app, deps)

  app.get('/health', async () => healthDetails(deps))

  app.get('/stats', { schema: { querystring: statsQuery } }, async (request) => {
    const { query } = request
    const to = query.to ?? Date.now()
    const from = query.from ?? to - DAY_MS
    checkRange(from, to)
    return service.stats({ from, to, ...(query.bucket === undefined ? {} : { bucketMs: query.bucket }) })
  })

  // Accepted and refused events alike (console search): q is an email, an order id, a messageId, a
  // userId or an anonymousId.
  app.get('/events', { schema: { querystring: eventsQuery } }, async (request) => {
    const { query } = request
    if (query.from !== undefined && query.to !== undefined) checkRange(query.from, query.to)
    return service.searchEvents(query)
  })

  app.get<{ Params: { id: string } }>('/events/:id', async (request) => {
    const event = await service.eventDetail(request.params.id)
    if (event === null)
      throw new HttpError(404, `no event with id ${JSON.stringify(request.params.id)}`, 'NOT_FOUND')
    return event
  })

  app.post<{ Params: { id: string } }>('/events/:id/retry', async (request) => {
    const { id } = request.params
    const event = await service.eventDetail(id)
    if (event === null) throw new HttpError(404, `no event with id ${JSON.stringify(id)}`, 'NOT_FOUND')
    const refused = event.status === 'skipped' || event.status === 'rejected'
    const retried = !refused && (await service.retryEvent(id))
    if (!retried) {
      throw new HttpError(
        409,
        `event ${id} is ${event.status}; only failed and parked events can be retried`,
        'NOT_RETRYABLE',
      )
    }
    return { retried: true, id }
  })

  // Parked events wait for a settings change; after a fix in Perkville itself they are released here.
  app.post('/parked/release', async () => ({ released: await service.releaseParked() }))

  app.post('/replay', { schema: { body: replayBody } }, async (request) => {
    const { body } = request
    checkRange(body.from, body.to)
    const { reason, ...search } = body
    // The search's filters (as /admin/events takes them) pick the events; a bare range replays by reason.
    const filtered = ['q', 'status', 'code', 'kind', 'email', 'messageId', 'orderId'].some(
      (k) => search[k as keyof typeof search] !== undefined,
    )
    const replayed = filtered
      ? await service.replaySearch({ ...search, ...(reason !== undefined ? { code: reason } : {}) })
      : await service.replayFailed(body)
    return { replayed }
  })

  app.get('/credentials', async () => service.credentials())

  // Skips (nothing to send) and rejects (errors) apart; samples of both, newest first.
  app.get('/dropped', async () => ({ ...(await service.droppedCounts()), samples: service.droppedSamples() }))
}
