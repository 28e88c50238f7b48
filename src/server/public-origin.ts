import type { FastifyRequest } from 'fastify'
import { badRequest } from './http-error.js'

/** Where browsers reach this service: what analytics.js and RudderStack are told to call back. */
export interface PublicOrigin {
  protocol: 'http' | 'https'
  /** Host name and port, as in a Host header. */
  host: string
  /** A path prefix a proxy adds in front of the service ('' or '/something', no trailing slash). */
  basePath: string
}

// A Host header is the client's word; only a plain host[:port] may be written into a script.
const HOST_PATTERN = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/

/**
 * The configured public URL when there is one (a proxy in front: its scheme, host and path win),
 * else the scheme and Host header of the request itself.
 */
export function publicOrigin(
  configuredUrl: string | null | undefined,
  request: FastifyRequest,
): PublicOrigin {
  if (configuredUrl) {
    const url = new URL(configuredUrl)
    return {
      protocol: url.protocol === 'https:' ? 'https' : 'http',
      host: url.host,
      basePath: url.pathname.replace(/\/+$/, ''),
    }
  }
  const host = request.host
  if (typeof host !== 'string' || !HOST_PATTERN.test(host)) {
    throw badRequest('INVALID_HOST', 'the Host header is missing or not a host name with an optional port')
  }
  return { protocol: request.protocol === 'https' ? 'https' : 'http', host, basePath: '' }
}

export function originUrl(origin: PublicOrigin): string {
  return `${origin.protocol}://${origin.host}${origin.basePath}`
}
