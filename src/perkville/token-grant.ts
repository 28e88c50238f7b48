/**
 * Perkville's OAuth2 resource-owner password grant (RFC 6749 §4.3): a registered API client trades
 * a staff member's username and password for a long-lived bearer token. The password, the client
 * secret and the token never appear in a result message: Perkville's own words are bounded and
 * scrubbed of them before they are shown.
 */
import { request } from 'undici'
import { scrub } from '../pipeline/redact.js'
import { transportMessage, USER_AGENT } from './client.js'
import { splitScopes } from './scopes.js'
import { asObject, DEFAULT_BASE_URL } from './wire.js'

/** Where Perkville documents its token endpoint (on www, not on the API's host). */
export const DEFAULT_TOKEN_URL = 'https://www.perkville.com/api/token/'
/** The token endpoint's path under any other origin (the sandbox's, a proxy's). */
export const TOKEN_PATH = '/api/token/'

/** Perkville's answers are small; anything longer is not a token answer. */
const MAX_ANSWER_BYTES = 64 * 1024
const MAX_SHOWN_CHARS = 200

export interface TokenGrantRequest {
  tokenUrl: string
  clientId: string
  clientSecret: string
  username: string
  password: string
  /** Space-separated scopes to ask for; none: what Perkville assigned the client. */
  scope?: string
  timeoutMs: number
}

export type TokenGrantResult =
  | { ok: true; token: string; scopes: string[] | null }
  | {
      ok: false
      /** client: id or secret refused; user: username or password refused; scope: a scope refused. */
      kind: 'client' | 'user' | 'scope' | 'answer' | 'transport'
      message: string
    }

/** The token endpoint for an API base URL: Perkville's own for its API, else `/api/token/` on that origin. */
export function tokenUrlFor(perkvilleUrl: string | undefined): string {
  if (perkvilleUrl === undefined) return DEFAULT_TOKEN_URL
  const origin = new URL(perkvilleUrl).origin
  return origin === new URL(DEFAULT_BASE_URL).origin ? DEFAULT_TOKEN_URL : `${origin}${TOKEN_PATH}`
}

export async function requestToken(req: TokenGrantRequest): Promise<TokenGrantResult> {
  const secrets = [req.password, req.clientSecret]
  const form = new URLSearchParams({
    grant_type: 'password',
    username: req.username,
    password: req.password,
    client_id: req.clientId,
    client_secret: req.clientSecret,
  })
  if (req.scope !== undefined) form.set('scope', req.scope)
  const signal = AbortSignal.timeout(req.timeoutMs)
  let status: number
  let text: string
  try {
    const res = await request(req.tokenUrl, {
      method: 'POST',
      signal,
      headers: {
        accept: 'application/json',
        'content-type': 'application/x-www-form-urlencoded',
        'user-agent': USER_AGENT,
      },
      body: form.toString(),
    })
    status = res.statusCode
    text = await boundedText(res.body)
  } catch (err) {
    const why = signal.aborted
      ? `no answer within ${req.timeoutMs} ms`
      : transportMessage(err).slice(0, MAX_SHOWN_CHARS)
    return { ok: false, kind: 'transport', message: `could not reach ${req.tokenUrl}: ${why}` }
  }
  const body = parseObject(text)
  if (status >= 200 && status < 300) {
    const token = body?.access_token
    // RFC 6750's b64token: what a bearer token can be, and what the API client will accept.
    if (typeof token !== 'string' || token.length > 4096 || !/^[A-Za-z0-9\-._~+/]+=*$/.test(token)) {
      return {
        ok: false,
        kind: 'answer',
        message: `${req.tokenUrl} answered HTTP ${status} without a usable access_token`,
      }
    }
    const scope = body?.scope
    return { ok: true, token, scopes: typeof scope === 'string' ? splitScopes(scope) : null }
  }
  const error = typeof body?.error === 'string' ? body.error : null
  const description =
    typeof body?.error_description === 'string'
      ? scrub(body.error_description, secrets).slice(0, MAX_SHOWN_CHARS)
      : null
  const said = [error, description].filter((s) => s !== null && s !== '').join(': ')
  const answer = `HTTP ${status}${said ? ` (${scrub(said, secrets).slice(0, MAX_SHOWN_CHARS)})` : ''}`
  if (error === 'invalid_client' || (status === 401 && error === null))
    return { ok: false, kind: 'client', message: `the client id or secret was refused: ${answer}` }
  if (error === 'invalid_grant')
    return { ok: false, kind: 'user', message: `the username or password was refused: ${answer}` }
  if (error === 'invalid_scope')
    return { ok: false, kind: 'scope', message: `a requested scope was refused: ${answer}` }
  return { ok: false, kind: 'answer', message: `${req.tokenUrl} refused the request: ${answer}` }
}

async function boundedText(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    size += chunk.length
    if (size > MAX_ANSWER_BYTES) throw new Error(`answer longer than ${MAX_ANSWER_BYTES} bytes`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    return asObject(JSON.parse(text)) ?? null
  } catch {
    return null
  }
}
