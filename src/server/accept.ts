import type { FastifyBaseLogger } from 'fastify'
import type { DeliveryService, IncomingEvent } from '../pipeline/service-api.js'
import { storageUnavailable } from './http-error.js'

/**
 * Hands events to the pipeline and resolves only once they are durable. A storage failure becomes a
 * 503 with Retry-After — never a 200 — so Segment libraries keep the events and send them again.
 */
export async function acceptDurably(
  service: DeliveryService,
  events: IncomingEvent[],
  log: FastifyBaseLogger,
) {
  try {
    return await service.accept(events)
  } catch (err) {
    log.error({ err, events: events.length }, 'could not store events; answering 503')
    throw storageUnavailable(
      'the events could not be stored right now; nothing was accepted, send them again later',
    )
  }
}
