import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import { stringifySetCookie } from 'cookie'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { requireSameOrigin, sessionOf } from '../admin-auth.js'
import { secretsEqual } from '../auth.js'
import { SESSION_COOKIE } from '../console-session.js'
import type { ServerDeps } from '../deps.js'
import { HttpError, unauthorized } from '../http-error.js'
import { publicOrigin } from '../public-origin.js'

export interface ConsoleOptions {
  deps: Pick<ServerDeps, 'adminToken' | 'publicUrl' | 'authThrottle' | 'consoleSessions'>
  /** The built page (index.html, console.js, console.css); dist/web of the package by default. */
  webDir?: string
}

/** dist/web from both src/server/plugins (tests) and dist/server/plugins (the package). */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../../dist/web/', import.meta.url))

// The page loads only its own files: no CDN, no inline script, never framed by another site.
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
}

/**
 * The operator console: the page at `/`, its assets under /console/, and its session
 * (POST/GET/DELETE /console/session). Signing in trades the admin token for a session cookie that
 * /admin accepts like the Bearer token (admin-auth.ts).
 */
export const consoleRoutes: FastifyPluginAsync<ConsoleOptions> = async (app, options) => {
  const { deps } = options
  const sessions = deps.consoleSessions
  const webDir = options.webDir ?? DEFAULT_WEB_DIR
  const built = existsSync(`${webDir}/index.html`)

  if (built) {
    await app.register(fastifyStatic, {
      root: webDir,
      prefix: '/console/',
      index: false,
      wildcard: true,
      cacheControl: false,
      setHeaders: (res) => {
        for (const [name, value] of Object.entries(PAGE_HEADERS)) res.setHeader(name, value)
      },
    })
  }

  app.get('/', async (_request, reply) => {
    if (!built)
      throw new HttpError(
        503,
        'the console page is not built: run `npm run build` (npm ci runs it)',
        'CONSOLE_NOT_BUILT',
      )
    reply.headers(PAGE_HEADERS)
    return reply.sendFile('index.html')
  })

  const secure = (request: FastifyRequest) => publicOrigin(deps.publicUrl, request).protocol === 'https'
  const setCookie = (reply: FastifyReply, request: FastifyRequest, value: string, maxAgeS: number) =>
    reply.header(
      'set-cookie',
      stringifySetCookie({
        name: SESSION_COOKIE,
        value,
        httpOnly: true,
        sameSite: 'strict',
        path: '/',
        secure: secure(request),
        maxAge: maxAgeS,
      }),
    )

  app.post('/console/session', async (request, reply) => {
    requireSameOrigin(deps.publicUrl, request)
    const body = request.body
    const token = typeof body === 'object' && body !== null ? (body as { token?: unknown }).token : undefined
    if (typeof token !== 'string' || token === '')
      throw new HttpError(400, 'send {"token": "<admin token>"}', 'INVALID_REQUEST')
    deps.authThrottle.check(request.ip)
    if (!secretsEqual(token, deps.adminToken)) {
      deps.authThrottle.failed(request.ip)
      throw unauthorized('the admin token is not valid')
    }
    const previous = sessionOf(sessions, request)
    if (previous) sessions.delete(previous.id)
    const session = sessions.create()
    setCookie(reply, request, session.id, Math.floor((session.expiresAt - Date.now()) / 1000))
    reply.code(204).header('cache-control', 'no-store')
  })

  app.get('/console/session', async (request, reply) => {
    const session = sessionOf(sessions, request)
    reply.header('cache-control', 'no-store')
    // Asking whether one is signed in is no error: every page load asks (no 401, nothing logged).
    if (session === null) return { signedIn: false }
    return {
      signedIn: true,
      csrfToken: session.csrfToken,
      expiresAt: new Date(session.expiresAt).toISOString(),
    }
  })

  app.delete('/console/session', async (request, reply) => {
    requireSameOrigin(deps.publicUrl, request)
    const session = sessionOf(sessions, request)
    if (session) sessions.delete(session.id)
    setCookie(reply, request, '', 0)
    reply.code(204)
  })
}
