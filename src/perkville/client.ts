/**
 * The Perkville API client: keep-alive pooled HTTP (undici) with a per-request timeout. It sends
 * and classifies; retrying is the delivery pipeline's job. The token lives only in the request
 * headers: every record, message and error shows it redacted.
 */
import { performance } from 'node:perf_hooks'
import { Agent, request } from 'undici'
import { BEARER_TOKEN_PROBLEM, isBearerToken } from '../core/settings.js'
import type { Transaction } from '../core/types.js'
import { PACKAGE_NAME, VERSION } from '../version.js'
import { readBoundedText } from './bounded-body.js'
import {
  PerkvilleApiError,
  type PerkvilleClient,
  type PerkvilleClientOptions,
  type TransactionAttempt,
} from './client-api.js'
import { type JsonGet, ListReadError, readAllPages } from './pagination.js'
import type { JsonPost } from './settings-check.js'
import {
  apiUrl,
  asObject,
  authorizationHeader,
  type BusinessResource,
  type ConnectionResource,
  classifyStatus,
  classifyTransactionAnswer,
  classifyTransportError,
  DEFAULT_BASE_URL,
  errorMessage,
  foreignOrigin,
  type LocationResource,
  normaliseBaseUrl,
  PATHS,
  type PerkResource,
  type TransactionResource,
  transactionLookupQuery,
  transactionRequestBody,
  transSourceIdOf,
} from './wire.js'

export const DEFAULT_TIMEOUT_MS = 10_000
export const DEFAULT_CONNECTIONS = 64
export const USER_AGENT = `${PACKAGE_NAME}/${VERSION} (+node ${process.versions.node})`

/** The client, plus a raw authenticated GET and POST (used by the settings check). */
export interface PerkvilleHttpClient extends PerkvilleClient {
  readonly getJson: JsonGet
  readonly postJson: JsonPost
}

interface RawResponse {
  status: number
  headers: Record<string, string>
  body: unknown
}

export function createPerkvilleClient(opts: PerkvilleClientOptions): PerkvilleHttpClient {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
  if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive, got ${timeoutMs}`)
  // Fail on a bad base URL or token now rather than on the first event (which would look temporary).
  const baseUrl = normaliseBaseUrl(opts.baseUrl ?? DEFAULT_BASE_URL).url
  // Settings refuse such a token already (parseSettings); this guards callers that bring their own.
  const token = opts.token.trim()
  if (!isBearerToken(token)) {
    throw new PerkvilleApiError(`the API token ${BEARER_TOKEN_PROBLEM}`, 'credentials', null)
  }
  const agent = new Agent({
    connections: opts.connections ?? DEFAULT_CONNECTIONS,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 60_000,
  })
  const baseHeaders = { accept: 'application/json', 'user-agent': USER_AGENT }

  /** One HTTP exchange; throws only on transport failure, with a message safe to log. */
  async function exchange(method: 'GET' | 'POST', url: string, body?: unknown): Promise<RawResponse> {
    // Every URL, whoever built it, is checked here: the token never leaves for another origin.
    const foreign = foreignOrigin(url, baseUrl)
    if (foreign !== null) throw new PerkvilleApiError(`${method}: ${foreign}`, 'permanent', null)
    const signal = AbortSignal.timeout(timeoutMs)
    try {
      const res = await request(url, {
        method,
        dispatcher: agent,
        signal,
        headers: {
          ...baseHeaders,
          authorization: authorizationHeader(token),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      const text = await readBoundedText(res.body)
      return { status: res.statusCode, headers: flattenHeaders(res.headers), body: parseBody(text) }
    } catch (err) {
      throw new TransportError(signal.aborted ? `timeout after ${timeoutMs} ms` : transportMessage(err))
    }
  }

  async function readJson(url: string): Promise<RawResponse> {
    try {
      const res = await exchange('GET', url)
      if (res.status >= 200 && res.status < 300) return res
      const kind = classifyStatus(res.status)
      throw new PerkvilleApiError(
        `GET ${redactUrl(url)}: ${errorMessage(res.status, res.body)}`,
        kind,
        res.status,
      )
    } catch (err) {
      if (err instanceof TransportError) {
        throw new PerkvilleApiError(`GET ${redactUrl(url)}: ${err.message}`, 'temporary', null)
      }
      throw err
    }
  }

  /** Every object of a list, following pagination; failures as PerkvilleApiError. */
  async function listAll(url: string): Promise<Record<string, unknown>[]> {
    try {
      return await readAllPages(getJson, url)
    } catch (err) {
      if (!(err instanceof ListReadError)) throw err
      const kind =
        err.reason === 'transport'
          ? 'temporary'
          : err.reason === 'status' && err.status !== null
            ? classifyStatus(err.status)
            : 'permanent'
      throw new PerkvilleApiError(`GET ${redactUrl(err.url)}: ${err.message}`, kind, err.status)
    }
  }

  async function rawJson(method: 'GET' | 'POST', url: string, body?: unknown) {
    try {
      const res = await exchange(method, url, body)
      return { status: res.status, body: res.body }
    } catch (err) {
      if (err instanceof TransportError) throw new Error(err.message)
      throw err
    }
  }
  const getJson: JsonGet = (url) => rawJson('GET', url)
  const postJson: JsonPost = (url, body) => rawJson('POST', url, body)

  return {
    baseUrl,

    async postTransaction(tx: Transaction, transSourceId: string): Promise<TransactionAttempt> {
      const url = apiUrl(baseUrl, PATHS.transactions)
      const body = transactionRequestBody(tx, transSourceId)
      const sent = {
        method: 'POST' as const,
        url,
        headers: { ...baseHeaders, 'content-type': 'application/json', authorization: 'Bearer [redacted]' },
        body,
      }
      const started = performance.now()
      try {
        const res = await exchange('POST', url, body)
        return {
          result: classifyTransactionAnswer(tx, res.status, res.body, res.headers['retry-after'] ?? null),
          request: sent,
          response: res,
          durationMs: performance.now() - started,
        }
      } catch (err) {
        if (!(err instanceof TransportError)) throw err
        return {
          result: classifyTransportError(err.message),
          request: sent,
          response: null,
          durationMs: performance.now() - started,
        }
      }
    },

    async findTransaction(businessId: string, transSourceId: string): Promise<TransactionResource | null> {
      const url = apiUrl(baseUrl, PATHS.transactions, transactionLookupQuery(businessId, transSourceId))
      const page = await readJson(url)
      const objects = asObject(page.body)?.objects
      if (!Array.isArray(objects)) {
        throw new PerkvilleApiError(
          `GET ${redactUrl(url)}: the answer has no "objects" list`,
          'permanent',
          page.status,
        )
      }
      // A server that ignores an unknown filter lists other transactions: the lookup then proves nothing.
      if (objects.some((t) => transSourceIdOf(t) !== transSourceId)) {
        throw new PerkvilleApiError(
          `GET ${redactUrl(url)}: Perkville answered transactions without this trans_source_id, so it ignored the trans_source_id filter and the lookup cannot tell whether the transaction exists`,
          'permanent',
          page.status,
        )
      }
      return (objects[0] as TransactionResource | undefined) ?? null
    },

    async getBusiness(businessId: string): Promise<BusinessResource> {
      return (await readJson(apiUrl(baseUrl, PATHS.business(businessId)))).body as BusinessResource
    },

    listLocations: async (businessId: string) =>
      (await listAll(
        apiUrl(baseUrl, PATHS.locations, { business: businessId }),
      )) as unknown as LocationResource[],
    listPerks: async (businessId: string) =>
      (await listAll(apiUrl(baseUrl, PATHS.perks, { business: businessId }))) as unknown as PerkResource[],
    findConnections: async (businessId: string, email: string) =>
      (await listAll(
        apiUrl(baseUrl, PATHS.connections, { business: businessId, user__emails__email: email }),
      )) as unknown as ConnectionResource[],

    getJson,
    postJson,

    close: () => agent.close(),
  }
}

class TransportError extends Error {}

function parseBody(text: string): unknown {
  if (text === '') return null
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(headers)) {
    if (value !== undefined) out[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value
  }
  return out
}

/** A transport failure in words; undici errors carry a code and never the request headers. */
export function transportMessage(err: unknown): string {
  if (!(err instanceof Error)) return `connection error: ${String(err)}`
  const code = (err as { code?: unknown }).code
  const cause = (err as { cause?: unknown }).cause
  const causeCode = cause instanceof Error ? (cause as { code?: unknown }).code : undefined
  const detail = [
    typeof code === 'string' ? code : null,
    typeof causeCode === 'string' ? causeCode : null,
    err.message,
  ]
    .filter((x): x is string => x !== null && x !== '')
    .join(' ')
  return `connection error: ${detail}`
}

/** URLs carry no secret today; strip credentials anyway in case a base URL ever embeds them. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.username || u.password) {
      u.username = ''
      u.password = ''
    }
    return u.toString()
  } catch {
    return url
  }
}
