import type { FastifyPluginAsync } from 'fastify'
import type { IncomingEvent } from '../../pipeline/service-api.js'
import { acceptDurably } from '../accept.js'
import { requireWriteKey, writeKeyChecker } from '../auth.js'
import { decodeJsonBody } from '../body.js'
import type { PluginOptions } from '../deps.js'
import { checkEventSize, eventFromSingle, eventsFromBatch, eventsFromList, labelSource } from '../events.js'
import { badRequest, unauthorized } from '../http-error.js'
import { EVENT_LIMIT_BYTES } from '../limits.js'
import { takeRawBodies } from '../raw-body.js'
import { verifyWebhookSignature } from '../webhook-signature.js'

/**
 * POST /webhook — what Segment's Webhooks destination sends: one event, an array of events, or
 * `{"batch":[...]}`.
 *
 * Authentication (decided): with a shared secret configured, `X-Signature` must be the hex HMAC-SHA1
 * of the whole raw body (or, only when the operator opted in, of a batch's first event: see
 * webhook-signature.ts), and no write key is needed. Without a secret the endpoint would otherwise be open, so it then requires a
 * write key exactly like the tracking API (Basic or `writeKey` in the body).
 */
export const webhookRoutes: FastifyPluginAsync<PluginOptions> = async (app, { deps }) => {
  const checker = writeKeyChecker(deps.writeKeys)
  const secret = deps.webhookSecret
  takeRawBodies(app, deps.bodyBudget)

  app.post('/webhook', async (request) => {
    const receivedAt = Date.now()
    const signature = request.headers['x-signature']
    const signatureText = Array.isArray(signature) ? signature[0] : signature
    if (secret !== null && !signatureText)
      throw unauthorized('X-Signature is required: the hex HMAC-SHA1 of the body')

    const decoded = await decodeJsonBody(
      request.body as Buffer | undefined,
      request.headers['content-encoding'],
    )
    const body = decoded.value
    const list = Array.isArray(body) ? body : isBatchObject(body) ? body.batch : null

    if (secret !== null) {
      await verifyWebhookSignature(
        {
          secret,
          mode: deps.webhookSignature,
          signature: signatureText!,
          raw: decoded.raw,
          body,
          list,
        },
        deps.service,
      )
    } else {
      requireWriteKey(checker, request.headers.authorization, body)
    }

    let events: IncomingEvent[]
    if (Array.isArray(body))
      events = eventsFromList(body, undefined, undefined, 'webhook', receivedAt, decoded.bytes)
    else if (list !== null) events = eventsFromBatch(body, 'webhook', receivedAt, decoded.bytes)
    else {
      if (decoded.bytes > EVENT_LIMIT_BYTES) checkEventSize(body, 'the event')
      if (typeof body !== 'object' || body === null) {
        throw badRequest(
          'INVALID_EVENT',
          'the webhook body must be an event object, an array of events or {"batch":[...]}',
        )
      }
      events = [eventFromSingle(body, null, 'webhook', receivedAt)]
    }
    labelSource(events, 'webhook')
    if (events.length > 0) await acceptDurably(deps.service, events, request.log)
    return { success: true }
  })
}

function isBatchObject(body: unknown): body is { batch: unknown[] } {
  return typeof body === 'object' && body !== null && Array.isArray((body as { batch?: unknown }).batch)
}
