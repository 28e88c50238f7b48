import type { IncomingHttpHeaders } from 'node:http'
import type { FastifyInstance } from 'fastify'
import type { BodyBudget } from './body-budget.js'
import { RAW_BODY_LIMIT_BYTES, REQUEST_LIMIT_BYTES } from './limits.js'

/**
 * Replaces Fastify's body parsers in this plugin's scope by one that hands the raw bytes over for
 * every content type (application/json, text/plain as analytics.js sends, or none at all), so the
 * routes decide limits, decoding and error messages themselves. Each request with a body first waits
 * for its share of `budget`, before a byte of it is read, and holds it until its answer is sent.
 */
export function takeRawBodies(app: FastifyInstance, budget: BodyBudget): void {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(
    '*',
    { parseAs: 'buffer', bodyLimit: RAW_BODY_LIMIT_BYTES },
    (_request, body, done) => {
      done(null, body)
    },
  )
  // A callback hook, not an async one: most requests are admitted at once, without a promise.
  app.addHook('onRequest', (request, reply, done) => {
    const bytes = bodyBytes(request.headers)
    if (bytes === 0) return done()
    const hold = (release: () => void) => {
      // 'close' comes once the answer is sent or the connection is gone, whichever is first.
      if (reply.raw.closed) release()
      else reply.raw.once('close', release)
    }
    const now = budget.tryAcquire(bytes)
    if (now !== null) {
      hold(now)
      return done()
    }
    budget.acquire(bytes).then((release) => {
      hold(release)
      done()
    })
  })
}

/** What a request's body will cost, from its headers: the most it can be where they do not say. */
export function bodyBytes(headers: IncomingHttpHeaders): number {
  const length = Number(headers['content-length'])
  const raw = Number.isFinite(length)
    ? Math.min(length, RAW_BODY_LIMIT_BYTES)
    : headers['transfer-encoding'] !== undefined
      ? RAW_BODY_LIMIT_BYTES
      : 0
  if (raw === 0) return 0
  // A compressed body is decoded into a second buffer of up to the request limit.
  const encoding = headers['content-encoding']
  return encoding === undefined || encoding.trim().toLowerCase() === 'identity'
    ? raw
    : raw + REQUEST_LIMIT_BYTES
}
