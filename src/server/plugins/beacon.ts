import cors from '@fastify/cors'
import type { FastifyPluginAsync } from 'fastify'
import { acceptDurably } from '../accept.js'
import { writeKeyChecker } from '../auth.js'
import { decodeJsonBody } from '../body.js'
import { browserCors } from '../browser-cors.js'
import type { ServerDeps } from '../deps.js'
import { eventsFromBatch, labelSource } from '../events.js'
import { unauthorized } from '../http-error.js'
import { queryOrBasicWriteKey } from '../query-write-key.js'
import { takeRawBodies } from '../raw-body.js'

export interface BeaconOptions {
  deps: Pick<ServerDeps, 'service' | 'writeKeys' | 'bodyBudget'>
}

/**
 * RudderStack's beacon endpoint, POST /beacon/v1/batch?writeKey=KEY (mounted under /beacon):
 * navigator.sendBeacon cannot set headers, so the key rides in the query string and the body is a
 * `text/plain` batch `{"batch":[...],"sentAt":...}`. Same limits and durability as /v1/batch.
 * The route template, not the URL, is what logs and metrics record, so the key is never logged.
 */
export const beaconRoutes: FastifyPluginAsync<BeaconOptions> = async (app, { deps }) => {
  const checker = writeKeyChecker(deps.writeKeys)
  takeRawBodies(app, deps.bodyBudget)
  await app.register(cors, browserCors)

  app.post<{ Querystring: { writeKey?: unknown } }>('/v1/batch', async (request) => {
    const receivedAt = Date.now()
    const key = queryOrBasicWriteKey(checker, request.query, request.headers.authorization)
    if (!key.valid) {
      throw unauthorized(
        key.given
          ? 'the write key is not valid'
          : 'a write key is required: ?writeKey=KEY in the URL (or HTTP Basic with the key as user name)',
      )
    }
    const { value, bytes } = await decodeJsonBody(
      request.body as Buffer | undefined,
      request.headers['content-encoding'],
    )
    const events = labelSource(
      eventsFromBatch(value, 'tracking-api', receivedAt, bytes),
      key.label ?? 'write key',
    )
    if (events.length > 0) await acceptDurably(deps.service, events, request.log)
    return { success: true }
  })
}
