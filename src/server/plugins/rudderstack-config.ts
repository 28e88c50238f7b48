import cors from '@fastify/cors'
import type { FastifyPluginAsync } from 'fastify'
import { writeKeyChecker } from '../auth.js'
import { browserCors } from '../browser-cors.js'
import type { ServerDeps } from '../deps.js'
import { HttpError } from '../http-error.js'
import { queryOrBasicWriteKey } from '../query-write-key.js'

export interface RudderStackConfigOptions {
  deps: Pick<ServerDeps, 'writeKeys'>
}

/**
 * A local source config for RudderStack's JavaScript SDK (mounted under /sourceConfig): with
 * `configUrl` set to this service it reads `GET /sourceConfig/?writeKey=KEY&...` here instead of
 * RudderStack's control plane. The answer enables the source with no device-mode destinations and
 * with error and metrics reporting off, so the SDK talks to nothing but its data plane (this service).
 */
export const rudderStackConfigRoutes: FastifyPluginAsync<RudderStackConfigOptions> = async (
  app,
  { deps },
) => {
  const checker = writeKeyChecker(deps.writeKeys)
  await app.register(cors, browserCors)

  app.get<{ Querystring: { writeKey?: unknown } }>('/', async (request, reply) => {
    if (!queryOrBasicWriteKey(checker, request.query, request.headers.authorization).valid) {
      throw new HttpError(404, 'no source config for this write key', 'UNKNOWN_WRITE_KEY')
    }
    reply.header('cache-control', 'public, max-age=60')
    return rudderStackSourceConfig()
  })
}

export function rudderStackSourceConfig() {
  return {
    isHosted: false,
    source: {
      id: 'perkville-destination',
      name: 'perkville-destination',
      workspaceId: 'self-hosted',
      enabled: true,
      config: { statsCollection: { errors: { enabled: false }, metrics: { enabled: false } } },
      destinations: [],
    },
  }
}
