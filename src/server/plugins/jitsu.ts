import cors from '@fastify/cors'
import type { FastifyPluginAsync } from 'fastify'
import { acceptDurably } from '../accept.js'
import { type WriteKeyChecker, writeKeyChecker } from '../auth.js'
import { decodeJsonBody } from '../body.js'
import { browserCors } from '../browser-cors.js'
import type { PluginOptions } from '../deps.js'
import { checkEventSize, eventFromSingle, labelSource } from '../events.js'
import { unauthorized } from '../http-error.js'
import { EVENT_LIMIT_BYTES } from '../limits.js'
import { takeRawBodies } from '../raw-body.js'

/** The event types Jitsu's ingest API takes, one path each. */
const TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias']

/**
 * Jitsu's ingest API (mounted under /api/s), as `@jitsu/js` calls it: `POST /api/s/{type}` from a
 * browser and `POST /api/s/s2s/{type}` from a server, one Segment-shaped event as JSON, the key in
 * `X-Write-Key` as `id:secret`. The service's write key is the secret (`perkville:KEY`); the id is
 * free, since Jitsu's SDK refuses a key without one. Same limits and durability as /v1.
 */
export const jitsuRoutes: FastifyPluginAsync<PluginOptions> = async (app, { deps }) => {
  const checker = writeKeyChecker(deps.writeKeys)
  takeRawBodies(app, deps.bodyBudget)
  await app.register(cors, browserCors)

  for (const prefix of ['', '/s2s']) {
    for (const type of TYPES) {
      app.post(`${prefix}/${type}`, async (request) => {
        const receivedAt = Date.now()
        const header = request.headers['x-write-key']
        const label = jitsuKeyLabel(checker, Array.isArray(header) ? header[0] : header)
        if (label === null)
          throw unauthorized(
            header === undefined
              ? 'a write key is required: X-Write-Key "id:KEY" with the service\u2019s write key as KEY'
              : 'the write key is not valid (X-Write-Key "id:KEY" with the service\u2019s write key as KEY)',
          )
        const { value, bytes } = await decodeJsonBody(
          request.body as Buffer | undefined,
          request.headers['content-encoding'],
        )
        if (bytes > EVENT_LIMIT_BYTES) checkEventSize(value, 'the event')
        const events = labelSource([eventFromSingle(value, type, 'tracking-api', receivedAt)], label)
        await acceptDurably(deps.service, events, request.log)
        // Jitsu's SDK parses the answer as JSON; without `destinations` it has nothing more to do.
        return { ok: true }
      })
    }
  }
}

/** The label of the write key in `id:secret` (either part) or of the whole value, else null. */
export function jitsuKeyLabel(checker: WriteKeyChecker, value: string | undefined): string | null {
  if (value === undefined || value === '') return null
  const colon = value.indexOf(':')
  const parts = colon === -1 ? [value] : [value.slice(colon + 1), value.slice(0, colon), value]
  for (const part of parts) {
    const label = checker.label(part)
    if (label !== null) return label
  }
  return null
}
