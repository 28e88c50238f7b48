import type { FastifyInstance } from 'fastify'
import { parseJson } from '../../core/json-syntax.js'
import { checkRange, eventsQuery, replayBody, statsQuery, validate } from '../admin-queries.js'
import type { ServerDeps } from '../app.js'
import { bearerToken, secretsEqual } from '../auth.js'
import { badRequest, HttpError, unauthorized } from '../http-error.js'

const DAY_MS = 86_400_000

/** The operator's API under /admin; every route needs `Authorization: Bearer <admin token>`. */
export async function adminRoutes(app: FastifyInstance, { deps }: { deps: ServerDeps }): Promise<void> {
  const { service } = deps
  // An empty JSON body is fine here (retry takes none); a malformed one is a 400 without an echo.
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
    if (text === '' || (typeof text === 'string' && text.trim() === '')) return done(null, undefined)
    const parsed = parseJson(text as string)
    if (parsed.ok) done(null, parsed.value)
    else done(badRequest('INVALID_JSON', `invalid JSON at ${parsed.message}`), undefined)
  })

  app.addHook('onRequest', async (request) => {
    const token = bearerToken(request.headers.authorization)
    if (token === null) throw unauthorized('the admin API needs "Authorization: Bearer <admin token>"')
    if (!secretsEqual(token, deps.adminToken)) throw unauthorized('the admin token is not valid')
  })

  app.get('/stats', async (request) => {
    const query = validate(statsQuery, request.query, 'query')
    const to = query.to ?? Date.now()
    const from = query.from ?? to - DAY_MS
    checkRange(from, to)
    return service.stats({ from, to, ...(query.bucket === undefined ? {} : { bucketMs: query.bucket }) })
  })

  app.get('/events', async (request) => {
    const query = validate(eventsQuery, request.query, 'query')
    if (query.from !== undefined && query.to !== undefined) checkRange(query.from, query.to)
    return service.listEvents({ ...query, limit: query.limit ?? 50 })
  })

  app.get<{ Params: { id: string } }>('/events/:id', async (request) => {
    const event = await service.getEvent(request.params.id)
    if (event === null)
      throw new HttpError(404, `no event with id ${JSON.stringify(request.params.id)}`, 'NOT_FOUND')
    return event
  })

  app.post<{ Params: { id: string } }>('/events/:id/retry', async (request) => {
    const { id } = request.params
    const event = await service.getEvent(id)
    if (event === null) throw new HttpError(404, `no event with id ${JSON.stringify(id)}`, 'NOT_FOUND')
    const retried = await service.retryEvent(id)
    if (!retried) {
      throw new HttpError(
        409,
        `event ${id} is ${event.status}; only failed events can be retried`,
        'NOT_RETRYABLE',
      )
    }
    return { retried: true, id }
  })

  app.post('/replay', async (request) => {
    const body = validate(replayBody, request.body, 'body')
    checkRange(body.from, body.to)
    const replayed = await service.replayFailed(body)
    return { replayed }
  })

  app.get('/credentials', async () => service.credentials())

  app.get('/dropped', async () => ({ counts: service.droppedCounts(), samples: service.droppedSamples() }))
}
