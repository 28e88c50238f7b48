import cors from '@fastify/cors'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { AcceptResult, IncomingEvent } from '../../pipeline/service-api.js'
import { acceptDurably } from '../accept.js'
import { requireWriteKey, writeKeyChecker } from '../auth.js'
import { decodeJsonBody } from '../body.js'
import { browserCors } from '../browser-cors.js'
import type { PluginOptions } from '../deps.js'
import { checkEventBytes, eventFromSingle, eventsFromBatch, labelSource } from '../events.js'
import { takeRawBodies } from '../raw-body.js'

/** Single-event paths (long and analytics.js short forms) and the event type each one implies. */
const SINGLE_PATHS: Array<[string, string]> = [
  ['track', 'track'],
  ['identify', 'identify'],
  ['page', 'page'],
  ['screen', 'screen'],
  ['group', 'group'],
  ['alias', 'alias'],
  ['t', 'track'],
  ['i', 'identify'],
  ['p', 'page'],
  ['s', 'screen'],
  ['g', 'group'],
  ['a', 'alias'],
]
const BATCH_PATHS = ['batch', 'import', 'b']

/** Segment's HTTP Tracking API under /v1 (segment-ingest.md). */
export const ingestRoutes: FastifyPluginAsync<PluginOptions> = async (app, { deps }) => {
  const checker = writeKeyChecker(deps.writeKeys)
  takeRawBodies(app, deps.bodyBudget)
  await app.register(cors, browserCors)

  const readBody = async (request: FastifyRequest, single: boolean) => {
    const decoded = await decodeJsonBody(
      request.body as Buffer | undefined,
      request.headers['content-encoding'],
    )
    if (single) checkEventBytes(decoded.bytes, 'the event')
    const source = requireWriteKey(checker, request.headers.authorization, decoded.value)
    return { ...decoded, source }
  }

  const answer = async (request: FastifyRequest, events: IncomingEvent[]) => {
    if (events.length > 0) await acceptDurably(deps.service, events, request.log)
    return { success: true }
  }
  // /v1/import also says what became of the events, so `perkville-destination import` can report
  // new, already-imported and dropped events apart; Segment clients read only `success`.
  // Skips (not errors) and rejects are apart; `dropped` also counts order-rule failures.
  const answerWithCounts = async (request: FastifyRequest, events: IncomingEvent[]) => {
    const counts: AcceptResult =
      events.length > 0
        ? await acceptDurably(deps.service, events, request.log)
        : { queued: 0, duplicates: 0, skipped: 0, rejected: 0, dropped: 0 }
    return { success: true, ...counts }
  }

  for (const [path, type] of SINGLE_PATHS) {
    app.post(`/${path}`, async (request) => {
      const receivedAt = Date.now()
      const { value, source } = await readBody(request, true)
      return answer(request, labelSource([eventFromSingle(value, type, 'tracking-api', receivedAt)], source))
    })
  }
  for (const path of BATCH_PATHS) {
    app.post(`/${path}`, async (request) => {
      const receivedAt = Date.now()
      const { value, bytes, source } = await readBody(request, false)
      const events = labelSource(eventsFromBatch(value, 'tracking-api', receivedAt, bytes), source)
      if (path !== 'import') return answer(request, events)
      // History from `perkville-destination import`: delivered after live traffic.
      for (const e of events) e.bulk = true
      return answerWithCounts(request, events)
    })
  }
}
