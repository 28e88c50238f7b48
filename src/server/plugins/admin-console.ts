import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { MAX_EMAIL_LENGTH } from '../../core/email.js'
import {
  checkRange,
  liveQuery,
  rangeQuery,
  redecideBody,
  replayPreviewQuery,
  testEventBody,
} from '../admin-queries.js'
import type { ServerDeps } from '../deps.js'
import { checkEventSize } from '../events.js'
import { badRequest } from '../http-error.js'
import { LiveStreams } from '../live-feed.js'

const DAY_MS = 86_400_000

/**
 * The console's JSON routes, registered inside the admin plugin so its authentication covers them:
 * the overview, errors, replay preview, one customer, the event tester and the live feed.
 */
export function registerConsoleRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const { service } = deps
  const typed = app.withTypeProvider<ZodTypeProvider>()
  const range = (query: { from?: number | undefined; to?: number | undefined }) => {
    const to = query.to ?? Date.now()
    const from = query.from ?? to - DAY_MS
    checkRange(from, to)
    return { from, to }
  }

  typed.get('/overview', { schema: { querystring: rangeQuery } }, async (request) =>
    service.overview(range(request.query)),
  )

  typed.get('/errors', { schema: { querystring: rangeQuery } }, async (request) =>
    service.errorGroups(range(request.query)),
  )

  typed.get('/replay/preview', { schema: { querystring: replayPreviewQuery } }, async (request) => {
    const { query } = request
    if (query.from !== undefined && query.to !== undefined) checkRange(query.from, query.to)
    return service.replayPreview(query)
  })

  typed.post('/refused/redecide', { schema: { body: redecideBody } }, async (request) => {
    const { dryRun, ...query } = request.body
    if (query.from !== undefined && query.to !== undefined) checkRange(query.from, query.to)
    return service.redecideRefused(query, dryRun === true)
  })

  typed.get<{ Params: { email: string } }>('/customers/:email', async (request) => {
    const email = request.params.email.trim()
    if (email === '' || email.length > MAX_EMAIL_LENGTH)
      throw badRequest('INVALID_REQUEST', `the email must be 1 to ${MAX_EMAIL_LENGTH} characters`)
    return service.customer(email)
  })

  // The tester is one more way in: Segment's per-event limit holds here too, sent or not.
  typed.post('/test-event', { schema: { body: testEventBody } }, async (request) => {
    checkEventSize(request.body.event, 'the event')
    return service.testEvent(request.body.event, request.body.send === true)
  })

  const streams = new LiveStreams()
  // Before the server waits for its connections: open streams would otherwise hold the shutdown.
  app.addHook('preClose', async () => streams.closeAll())
  typed.get('/live', { schema: { querystring: liveQuery } }, async (request, reply) => {
    streams.open(request, reply, service, { errorsOnly: request.query.errors === '1' })
  })
}
