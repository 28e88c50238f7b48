import { createHash } from 'node:crypto'
import type { Logger } from 'pino'
import type { DeliveryService } from '../pipeline/service-api.js'
import { signatureMatches } from './auth.js'
import { storageUnavailable, unauthorized } from './http-error.js'

/**
 * What `X-Signature` must cover on /webhook when a shared secret is set.
 * - `whole-body` (default): the HMAC-SHA1 of the raw body, so nothing can be added or changed.
 * - `first-event`: also a batch whose signature covers only its first event's JSON, as Segment's
 *   Actions webhook signs batches. Such a signature says nothing about the other events, so the first
 *   event's messageId is bound to the one body it came in: the same signature with any other body
 *   is refused. Weaker by nature (docs/service.md, Security).
 */
export const WEBHOOK_SIGNATURES = ['whole-body', 'first-event'] as const
export type WebhookSignature = (typeof WEBHOOK_SIGNATURES)[number]

export interface SignedRequest {
  secret: string
  mode: WebhookSignature
  signature: string
  /** The decoded body bytes, as signed. */
  raw: Buffer
  /** The parsed body. */
  body: unknown
  /** The events of an array or {batch} body; null for a single event. */
  list: unknown[] | null
}

/** Throws 401 unless the request is authentic under `mode` (503 when the binding cannot be stored). */
export async function verifyWebhookSignature(req: SignedRequest, service: DeliveryService): Promise<void> {
  const wholeBody = signatureMatches(req.secret, req.raw, req.signature)
  const first = req.list === null ? req.body : req.list[0]
  const firstOnly =
    !wholeBody &&
    req.list !== null &&
    req.list.length > 0 &&
    signatureMatches(req.secret, JSON.stringify(first), req.signature)
  if (req.mode === 'whole-body') {
    // Segment's Actions webhook signs a batch over its first event: say which option accepts that.
    if (firstOnly)
      throw unauthorized(
        'X-Signature does not match the whole raw body (HMAC-SHA1), only the first event of the batch, as Segment\u2019s Actions webhook signs batches: to accept those, start the service with --webhook-signature first-event (docs/service.md, Security)',
      )
    if (!wholeBody)
      throw unauthorized('X-Signature does not match the body (HMAC-SHA1 of the whole raw body)')
    return
  }
  if (!wholeBody && !firstOnly) {
    throw unauthorized('X-Signature matches neither the whole body nor the first event of the batch')
  }
  const messageId = messageIdOf(first)
  if (messageId === null) {
    if (firstOnly)
      throw unauthorized('a batch signed over its first event only needs a messageId on that event')
    return
  }
  let bound: boolean
  try {
    // Every signed body is recorded, so its signature cannot later front another batch.
    bound = await service.bindSignedBody(messageId, createHash('sha256').update(req.raw).digest('hex'))
  } catch {
    throw storageUnavailable('the request could not be checked right now; send it again later')
  }
  // A whole-body signature is authentic whatever came before; a first-event one only with its own body.
  if (firstOnly && !bound) {
    throw unauthorized(
      "X-Signature covers only the first event, and that event's messageId was already received with another body (a replayed signature)",
    )
  }
}

/** Said once at start: the operator chose the weaker check. */
export function warnWeakWebhookSignature(
  config: { webhookSecret: string | null; webhookSignature: WebhookSignature },
  logger: Logger,
): void {
  if (config.webhookSignature !== 'first-event') return
  logger.warn(
    { webhookSignature: config.webhookSignature, secretSet: config.webhookSecret !== null },
    config.webhookSecret === null
      ? '--webhook-signature first-event has no effect without --webhook-secret (the webhook requires a write key)'
      : 'webhook batches signed over their first event only are accepted: the other events of such a batch are not covered by the signature (see docs/service.md, Security)',
  )
}

function messageIdOf(event: unknown): string | null {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return null
  const id = (event as { messageId?: unknown }).messageId
  return typeof id === 'string' && id !== '' ? id : null
}
