import { parseCookie } from 'cookie'
import type { FastifyRequest } from 'fastify'
import { bearerToken, secretsEqual } from './auth.js'
import { type ConsoleSession, type ConsoleSessions, SESSION_COOKIE } from './console-session.js'
import type { ServerDeps } from './deps.js'
import { HttpError, unauthorized } from './http-error.js'
import { proxyAdvice } from './proxy-trust.js'
import { publicOrigin } from './public-origin.js'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export const csrfRefused = (message: string) => new HttpError(403, message, 'CSRF')

/** The console session named by the request's cookie, or null. */
export function sessionOf(sessions: ConsoleSessions, request: FastifyRequest): ConsoleSession | null {
  const header = request.headers.cookie
  if (!header) return null
  return sessions.get(parseCookie(header)[SESSION_COOKIE])
}

/** `scheme://host[:port]` browsers use for this service: the public URL's when one is configured. */
export function ownOrigin(publicUrl: string | null | undefined, request: FastifyRequest): string {
  const origin = publicOrigin(publicUrl, request)
  return `${origin.protocol}://${origin.host}`.toLowerCase()
}

/**
 * A browser's request that changes state must come from the console's own page: an `Origin` header,
 * when sent, equal to the service's own origin, and no `Sec-Fetch-Site: cross-site`. (SameSite=Strict
 * already keeps the cookie off cross-site requests; this also refuses other ports of the same host,
 * which count as the same site.)
 */
export function requireSameOrigin(publicUrl: string | null | undefined, request: FastifyRequest): void {
  const fetchSite = request.headers['sec-fetch-site']
  if (fetchSite === 'cross-site' || fetchSite === 'same-site')
    throw csrfRefused('a request from another site cannot change anything here')
  const origin = request.headers.origin
  if (origin === undefined) return
  if (origin.toLowerCase() !== ownOrigin(publicUrl, request))
    throw csrfRefused(
      `a request from another origin cannot change anything here${proxyAdvice(request, publicUrl, origin)}`,
    )
}

/**
 * The one authentication of /admin: `Authorization: Bearer <admin token>` (scripts, curl), or the
 * console's session cookie. With the cookie, a request that changes state also needs the session's
 * CSRF token in `X-CSRF-Token` and a same-origin `Origin`, else 403.
 */
export function adminAuthHook(
  deps: Pick<ServerDeps, 'adminToken' | 'publicUrl' | 'authThrottle' | 'consoleSessions'>,
) {
  const sessions = deps.consoleSessions
  return async (request: FastifyRequest): Promise<void> => {
    if (request.headers.authorization !== undefined) {
      deps.authThrottle.check(request.ip)
      const token = bearerToken(request.headers.authorization)
      if (token === null) throw unauthorized('the admin API needs "Authorization: Bearer <admin token>"')
      // A wrong Bearer token is a guess: counted per address (auth-throttle.ts).
      if (!secretsEqual(token, deps.adminToken)) {
        deps.authThrottle.failed(request.ip)
        throw unauthorized('the admin token is not valid')
      }
      return
    }
    const session = sessionOf(sessions, request)
    if (session === null)
      throw unauthorized(
        'the admin API needs "Authorization: Bearer <admin token>" (or a console session: sign in at /)',
      )
    if (SAFE_METHODS.has(request.method)) return
    requireSameOrigin(deps.publicUrl, request)
    const given = request.headers['x-csrf-token']
    if (!sessions.csrfMatches(session, typeof given === 'string' ? given : undefined))
      throw csrfRefused("X-CSRF-Token is missing or not this session's (GET /console/session gives it)")
  }
}
