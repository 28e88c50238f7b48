import type { FastifyInstance } from 'fastify'
import { RAW_BODY_LIMIT_BYTES } from './limits.js'

/**
 * Replaces Fastify's body parsers in this plugin's scope by one that hands the raw bytes over for
 * every content type (application/json, text/plain as analytics.js sends, or none at all), so the
 * routes decide limits, decoding and error messages themselves.
 */
export function takeRawBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(
    '*',
    { parseAs: 'buffer', bodyLimit: RAW_BODY_LIMIT_BYTES },
    (_request, body, done) => {
      done(null, body)
    },
  )
}
