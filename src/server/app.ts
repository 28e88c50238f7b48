import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  LogController,
} from 'fastify'
import { isStorageUnavailable } from '../pipeline/service-api.js'
import { AuthThrottle } from './auth-throttle.js'
import { BodyBudget } from './body-budget.js'
import { ConsoleSessions } from './console-session.js'
import type { ServerDeps, ServerOptions } from './deps.js'
import { HttpError, storageUnavailable } from './http-error.js'
import { installHttpMetrics } from './http-metrics.js'
import { IN_FLIGHT_BODY_BYTES, MAX_PATH_PARAM_CHARS, REQUEST_LIMIT_BYTES } from './limits.js'
import { adminRoutes } from './plugins/admin.js'
import { analyticsJsRoutes } from './plugins/analytics-js.js'
import { beaconRoutes } from './plugins/beacon.js'
import { consoleRoutes } from './plugins/console.js'
import { healthRoutes } from './plugins/health.js'
import { ingestRoutes } from './plugins/ingest.js'
import { jitsuRoutes } from './plugins/jitsu.js'
import { rudderStackConfigRoutes } from './plugins/rudderstack-config.js'
import { webhookRoutes } from './plugins/webhook.js'
import { installProxyWarning, proxyTrust } from './proxy-trust.js'
import { timeoutOptions } from './timeouts.js'
import { UnknownRoutes } from './unknown-routes.js'

/** Builds the HTTP server: one plugin per concern, one JSON error shape everywhere. */
export async function buildServer(given: ServerOptions): Promise<FastifyInstance> {
  const deps: ServerDeps = {
    ...given,
    consoleSessions: given.consoleSessions ?? new ConsoleSessions(),
    bodyBudget: given.bodyBudget ?? new BodyBudget(IN_FLIGHT_BODY_BYTES),
    lifecycle: given.lifecycle ?? { shuttingDown: false },
    authThrottle: given.authThrottle ?? new AuthThrottle(given.logger as FastifyBaseLogger),
  }
  const trusted = proxyTrust(deps.trustProxy ?? [])
  const app = Fastify({
    trustProxy: deps.trustProxy?.length ? (address: string) => trusted(address) : false,
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Per-request logs at info would cost more than the request itself at the rates we aim for;
    // http-metrics logs each response at debug and failures at higher levels instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: REQUEST_LIMIT_BYTES,
    routerOptions: { maxParamLength: MAX_PATH_PARAM_CHARS },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ...timeoutOptions(deps.timeouts, deps.logger as FastifyBaseLogger),
  })

  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    const answer = toHttpError(error)
    if (answer.statusCode >= 500)
      request.log.error({ err: error, route: request.routeOptions.url, client: request.ip }, 'request failed')
    // Refused credentials are counted and logged at warn in one line a minute (auth-throttle.ts), not
    // one line per guess.
    else if (answer.statusCode === 401 || answer.statusCode === 429)
      request.log.debug(
        { code: answer.code, status: answer.statusCode, route: request.routeOptions.url },
        answer.message,
      )
    else
      request.log.info(
        { code: answer.code, status: answer.statusCode, route: request.routeOptions.url, client: request.ip },
        answer.message,
      )
    reply
      .code(answer.statusCode)
      .headers(answer.headers)
      .send({ success: false, error: answer.message, code: answer.code })
  })
  const unknownRoutes = new UnknownRoutes({
    logger: app.log,
    secrets: [...deps.writeKeys, deps.adminToken, ...(deps.webhookSecret ? [deps.webhookSecret] : [])],
  })
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) unknownRoutes.add(method, route.url)
  })
  app.setNotFoundHandler((request, reply) => {
    const { path, nearest } = unknownRoutes.seen(request.method, request.url.split('?')[0] ?? '')
    reply.code(404).send({
      success: false,
      error: `no route ${request.method} ${path}${nearest ? `; the nearest supported path is ${nearest}` : ''}`,
      code: 'NOT_FOUND',
    })
  })

  app.addHook('onClose', async () => deps.authThrottle.close())
  installHttpMetrics(app, deps.registry)
  installProxyWarning(app, deps.publicUrl, trusted)
  await app.register(ingestRoutes, { deps, prefix: '/v1' })
  await app.register(webhookRoutes, { deps })
  await app.register(jitsuRoutes, { deps, prefix: '/api/s' })
  await app.register(analyticsJsRoutes, { deps })
  await app.register(beaconRoutes, { deps, prefix: '/beacon' })
  await app.register(rudderStackConfigRoutes, { deps, prefix: '/sourceConfig' })
  await app.register(adminRoutes, { deps, prefix: '/admin' })
  await app.register(consoleRoutes, { deps })
  await app.register(healthRoutes, { deps })
  return app
}

/** Fastify's own errors (body too large, bad media type, ...) in the service's words. */
function toHttpError(error: FastifyError | HttpError): HttpError {
  if (error instanceof HttpError) return error
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpError(
        400,
        `request body is over the 500 KB batch request limit (${REQUEST_LIMIT_BYTES} bytes)`,
        'REQUEST_TOO_LARGE',
      )
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpError(415, 'unsupported or malformed Content-Type header', 'UNSUPPORTED_MEDIA_TYPE')
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new HttpError(400, 'request body length does not match Content-Length', 'INVALID_CONTENT_LENGTH')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HttpError(400, 'the request body is empty; a JSON object was expected', 'INVALID_JSON')
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new HttpError(400, 'invalid JSON in the request body', 'INVALID_JSON')
  }
  const status = error.statusCode ?? 500
  if (status === 400 && (error as { validation?: unknown }).validation) {
    return new HttpError(400, error.message, 'INVALID_REQUEST')
  }
  // The pipeline's own argument checks (e.g. a stats range with too many buckets).
  if (error instanceof RangeError) return new HttpError(400, error.message, 'INVALID_REQUEST')
  if (error instanceof SyntaxError) {
    return new HttpError(400, 'invalid JSON in the request body', 'INVALID_JSON')
  }
  if (status >= 400 && status < 500) return new HttpError(status, error.message, error.code ?? 'BAD_REQUEST')
  if (isStorageUnavailable(error))
    return storageUnavailable('the database cannot be used right now; try again later')
  return new HttpError(500, 'internal error; see the service log', 'INTERNAL')
}
