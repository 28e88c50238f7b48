/**
 * The sandbox's OAuth2 token endpoint, `POST /api/token/`, as Perkville's integration guide
 * describes it: a registered client (id and secret) trades a user's username and password for a
 * long-lived bearer token (the resource-owner password grant, RFC 6749 §4.3). Errors are RFC 6749
 * §5.2's. The token carries the scopes asked for (default: all the client was assigned) and acts
 * for the businesses the user is staff of; the API accepts it like a seeded token.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { isPerkvilleScope, splitScopes } from '../perkville/scopes.js'
import type { IssuedTokens } from './issued-tokens.js'
import type { Scope, SeedClient, SeedUser } from './seed.js'

export interface TokenOptions {
  clients: readonly SeedClient[]
  users: readonly SeedUser[]
  issued: IssuedTokens
}

export const tokenRoutes: FastifyPluginAsync<TokenOptions> = async (app, { clients, users, issued }) => {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 16 * 1024 },
    (_request, body, done) => done(null, new URLSearchParams(body as string)),
  )

  app.post('/token/', async (request, reply) => {
    void reply.header('cache-control', 'no-store').header('pragma', 'no-cache')
    if (!(request.body instanceof URLSearchParams))
      return oauthError(reply, 400, 'invalid_request', 'The body must be application/x-www-form-urlencoded.')
    const form = request.body
    const basic = basicCredentials(request.headers.authorization)
    const inBody = form.has('client_id') || form.has('client_secret')
    if (basic && inBody)
      return oauthError(reply, 400, 'invalid_request', 'Client credentials were given twice.')
    const clientId = basic?.id ?? form.get('client_id') ?? ''
    const clientSecret = basic?.secret ?? form.get('client_secret') ?? ''
    const client = clients.find((c) => c.clientId === clientId)
    if (!client || !sameSecret(client.clientSecret, clientSecret)) {
      if (basic) void reply.header('www-authenticate', 'Basic realm="perkville"')
      return oauthError(reply, 401, 'invalid_client', 'Client authentication failed.')
    }
    const grantType = form.get('grant_type')
    if (grantType !== 'password')
      return oauthError(
        reply,
        400,
        grantType === null ? 'invalid_request' : 'unsupported_grant_type',
        'The sandbox supports grant_type=password.',
      )
    const username = form.get('username')
    const password = form.get('password')
    if (!username || !password)
      return oauthError(reply, 400, 'invalid_request', 'username and password are required.')
    const user = users.find((u) => u.username.toLowerCase() === username.toLowerCase())
    if (!user || !sameSecret(user.password, password))
      return oauthError(reply, 400, 'invalid_grant', 'Invalid credentials given.')

    const asked = form.get('scope')
    let scopes: Scope[]
    if (asked === null || asked.trim() === '') scopes = [...client.scopes]
    else {
      const names = splitScopes(asked)
      const refused = names.filter((s) => !isPerkvilleScope(s) || !client.scopes.includes(s))
      if (refused.length > 0)
        return oauthError(reply, 400, 'invalid_scope', `Not allowed for this client: ${refused.join(' ')}`)
      scopes = [...new Set(names as Scope[])]
    }
    const token = randomBytes(30).toString('base64url')
    issued.add(token, {
      clientId: client.clientId,
      username: user.username,
      scopes,
      businesses: user.businesses ?? null,
    })
    return { access_token: token, token_type: 'Bearer', scope: scopes.join(' ') }
  })
}

function oauthError(reply: FastifyReply, status: number, error: string, description: string) {
  return reply.code(status).send({ error, error_description: description })
}

function basicCredentials(header: string | undefined): { id: string; secret: string } | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '')
  if (!match?.[1]) return null
  const decoded = Buffer.from(match[1], 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) return null
  // RFC 6749 §2.3.1: both parts are form-urlencoded before they are joined.
  const part = (s: string) => {
    try {
      return decodeURIComponent(s.replaceAll('+', ' '))
    } catch {
      return s
    }
  }
  return { id: part(decoded.slice(0, colon)), secret: part(decoded.slice(colon + 1)) }
}

/** Compares in constant time, so a wrong guess says nothing about how close it was. */
function sameSecret(expected: string, given: string): boolean {
  const a = Buffer.from(expected)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}
