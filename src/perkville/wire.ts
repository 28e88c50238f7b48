/**
 * Everything about Perkville's v2 wire format lives here, so a correction to the (partly assumed)
 * API lands in one place. Pure: no I/O. The HTTP client, the Segment Actions destination, the
 * Destination Function and the sandbox all build and read requests through these functions.
 */
import type { Transaction } from '../core/types.js'

export const DEFAULT_BASE_URL = 'https://api.perkville.com/v2/'

export const PATHS = {
  transactions: 'transactions/',
  business: (id: string) => `businesses/${encodeURIComponent(id)}/`,
  locations: 'locations/',
  perks: 'perks/',
  connections: 'connections/',
} as const

/**
 * The field Perkville documents as its dedup key ("`trans_source_id` prevents duplicate point awards",
 * unique across the whole business): the event's stable id, the same on every attempt.
 */
export const TRANS_SOURCE_ID = 'trans_source_id'

/**
 * The body of `POST /v2/transactions/`. `trans_source_id` is documented; the other fields are the
 * assumed ones docs/perkville-api.md lists, each with why it is sent.
 */
export interface TransactionRequestBody {
  business: number
  location: number
  perk: number
  email: string
  quantity: number
  send_email: boolean
  [TRANS_SOURCE_ID]: string
  transaction_dt: string | null
}

export function transactionRequestBody(
  tx: Transaction,
  transSourceId: string,
  transactionDt: string | null = tx.timestamp,
): TransactionRequestBody {
  return {
    business: Number(tx.businessId),
    location: Number(tx.locationId),
    perk: Number(tx.perkId),
    email: tx.email,
    quantity: tx.quantity,
    send_email: tx.sendEmail,
    [TRANS_SOURCE_ID]: transSourceId,
    transaction_dt: transactionDt,
  }
}

/** The query of the settling lookup, `GET /v2/transactions/?business=ID&trans_source_id=X`. */
export function transactionLookupQuery(businessId: string, transSourceId: string): Record<string, string> {
  return { business: businessId, [TRANS_SOURCE_ID]: transSourceId }
}

/** A transaction resource's dedup key, or null when the answer does not show one. */
export function transSourceIdOf(resource: unknown): string | null {
  const value = asObject(resource)?.[TRANS_SOURCE_ID]
  return typeof value === 'string' ? value : null
}

/** The API's version path: a base URL given as a bare origin means the v2 API under it. */
const API_VERSION_PATH = '/v2/'

/**
 * The base URL every caller uses: a bare origin (`http://host:port`, `http://host:port/`) gets the
 * `/v2/` path the API lives under, any other path a trailing slash. `corrected` says a version path
 * was added, so a command can tell the user what it is really using. Throws on a non-URL.
 */
export function normaliseBaseUrl(text: string): { url: string; corrected: boolean } {
  const url = new URL(text)
  if (url.pathname === '' || url.pathname === '/') {
    url.pathname = API_VERSION_PATH
    return { url: url.toString(), corrected: true }
  }
  if (!url.pathname.endsWith('/')) url.pathname = `${url.pathname}/`
  return { url: url.toString(), corrected: false }
}

/** Resolves a path against the base URL, whatever the caller's trailing-slash habits. */
export function apiUrl(
  baseUrl: string,
  path: string,
  query?: Record<string, string | number | undefined>,
): string {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`
  const url = new URL(path.replace(/^\/+/, ''), base)
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined) url.searchParams.set(key, String(value))
  }
  return url.toString()
}

/**
 * `apiUrl` for a path without a query, by string joining only: the Segment Destination Function
 * runs where the URL class may not exist. Same result as `apiUrl` for the paths in PATHS.
 */
export function apiPathUrl(baseUrl: string, path: string): string {
  return `${baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`}${path.replace(/^\/+/, '')}`
}

export function authorizationHeader(token: string): string {
  return `Bearer ${token}`
}

/** How the destination treats an answer (the table at the end of the API spec). */
export type DeliveryClass =
  | { class: 'delivered'; status: number; transactionId: string | null; points: number | null }
  | { class: 'already_delivered'; status: number; resourceUri: string | null }
  | { class: 'permanent'; status: number; message: string }
  | { class: 'credentials'; status: number; message: string }
  | { class: 'temporary'; status: number | null; message: string; retryAfterMs: number | null }

/**
 * Classifies an HTTP answer to `POST /v2/transactions/`. `body` is the parsed JSON body when
 * there was one (anything else is treated as text or absent).
 */
export function classifyTransactionResponse(
  status: number,
  body: unknown,
  retryAfterHeader: string | null,
  now: number = Date.now(),
): DeliveryClass {
  if (status >= 200 && status < 300) {
    const obj = asObject(body)
    const id = obj?.id
    return {
      class: 'delivered',
      status,
      transactionId: id === undefined || id === null ? null : String(id),
      points: typeof obj?.points === 'number' ? obj.points : null,
    }
  }
  if (status === 409) {
    const uri = asObject(body)?.resource_uri
    return { class: 'already_delivered', status, resourceUri: typeof uri === 'string' ? uri : null }
  }
  if (status === 401 || status === 403) {
    return { class: 'credentials', status, message: errorMessage(status, body) }
  }
  if (status === 408 || status === 429 || status >= 500) {
    return {
      class: 'temporary',
      status,
      message: errorMessage(status, body),
      retryAfterMs: parseRetryAfter(retryAfterHeader, now),
    }
  }
  return { class: 'permanent', status, message: errorMessage(status, body) }
}

/** A timeout or a broken connection: temporary, and the outcome is unknown. */
export function classifyTransportError(message: string): DeliveryClass {
  return { class: 'temporary', status: null, message, retryAfterMs: null }
}

/** `Retry-After` as delta-seconds or an HTTP date, in milliseconds from `now`; null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | null {
  if (value === null || value === undefined) return null
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  if (trimmed === '') return null
  const date = Date.parse(trimmed)
  if (Number.isNaN(date)) return null
  return Math.max(0, date - now)
}

/**
 * Perkville's own message, kept for the operator: `{"errors": {"field": ["msg"]}}` flattened to
 * `field: msg`, or an OAuth-style `error`/`error_description`, or `detail`.
 */
export function errorMessage(status: number, body: unknown): string {
  const obj = asObject(body)
  if (obj) {
    const errors = asObject(obj.errors)
    if (errors) {
      const parts = Object.entries(errors).map(
        ([field, msgs]) => `${field}: ${Array.isArray(msgs) ? msgs.map(String).join(', ') : String(msgs)}`,
      )
      if (parts.length > 0) return `HTTP ${status}: ${parts.join('; ')}`
    }
    for (const key of ['error_description', 'detail', 'error', 'message']) {
      if (typeof obj[key] === 'string') return `HTTP ${status}: ${obj[key]}`
    }
  }
  if (typeof body === 'string' && body.trim() !== '') return `HTTP ${status}: ${body.trim().slice(0, 500)}`
  return `HTTP ${status}`
}

/** A list response: `{"meta": {...}, "objects": [...]}`. */
export interface ListPage<T> {
  meta: { limit: number; next: string | null; offset: number; previous: string | null; total_count: number }
  objects: T[]
}

export interface BusinessResource {
  id: number
  name: string
  resource_uri: string
}
export interface LocationResource {
  id: number
  name: string
  business: string
  resource_uri: string
}
export interface PerkResource {
  id: number
  title: string
  business: string
  /** Sandbox/assumed: how points follow from quantity. */
  points_per_unit?: number
  resource_uri: string
}
export interface TransactionResource extends TransactionRequestBody {
  id: number
  points: number
  resource_uri: string
  created_dt?: string
}
export interface ConnectionResource {
  id: number
  business: string
  user: string
  email: string
  point_balance: number
  resource_uri: string
}

export function resourceUri(
  kind: 'businesses' | 'locations' | 'perks' | 'transactions' | 'users' | 'connections',
  id: number | string,
): string {
  return `/v2/${kind}/${id}/`
}

/** The value as a plain JSON object, or null. */
export function asObject(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null
}

/**
 * The absolute URL of a list's next page (`meta.next` is a path such as
 * `/v2/perks/?business=1&limit=20&offset=20`, resolved against the page just read), or null at the end.
 */
export function nextPageUrl(page: unknown, currentUrl: string): string | null {
  const next = asObject(asObject(page)?.meta)?.next
  return typeof next === 'string' && next !== '' ? new URL(next, currentUrl).toString() : null
}
