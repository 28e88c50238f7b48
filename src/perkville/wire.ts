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
  /** Perkville's documented flag: sent (true) only for a once-per-day transaction, otherwise left out. */
  limit_to_once_per_calendar_day?: true
}

export function transactionRequestBody(
  tx: Transaction,
  transSourceId: string,
  transactionDt: string | null = tx.timestamp,
): TransactionRequestBody {
  const body: TransactionRequestBody = {
    business: Number(tx.businessId),
    location: Number(tx.locationId),
    perk: Number(tx.perkId),
    email: tx.email,
    quantity: tx.quantity,
    send_email: tx.sendEmail,
    [TRANS_SOURCE_ID]: transSourceId,
    transaction_dt: transactionDt,
  }
  if (tx.oncePerDay) body.limit_to_once_per_calendar_day = true
  return body
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
  | { class: 'permanent'; status: number; message: string; code: string | null }
  | { class: 'credentials'; status: number; message: string }
  /** Perkville refused a once-per-day award: the customer had that perk today. A skip, never retried. */
  | { class: 'daily_limit'; status: number; message: string }
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
  // A 2xx may be a new transaction or, for a reused trans_source_id, the existing one: delivered either way.
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
  if (isDuplicateAnswer(status, body)) {
    const uri = asObject(body)?.resource_uri
    return { class: 'already_delivered', status, resourceUri: typeof uri === 'string' ? uri : null }
  }
  const kind = classifyStatus(status)
  if (kind === 'credentials') return { class: kind, status, message: errorMessage(status, body) }
  if (kind === 'temporary') {
    return {
      class: kind,
      status,
      message: errorMessage(status, body),
      retryAfterMs: parseRetryAfter(retryAfterHeader, now),
    }
  }
  return { class: 'permanent', status, message: errorMessage(status, body), code: errorCode(body) }
}

/** What a failed status means for any request (a read has no duplicate and no success body). */
export function classifyStatus(status: number): 'credentials' | 'temporary' | 'permanent' {
  if (status === 401 || status === 403) return 'credentials'
  if (status === 408 || status === 429 || status >= 500) return 'temporary'
  return 'permanent'
}

/**
 * Perkville does not document how it answers a `trans_source_id` the business already has, so every
 * plausible refusal counts: 409, or a 400 that says the key is taken, in either error shape (an error
 * on the trans_source_id field or naming it with "already"/"exists"/"unique"/"duplicate", or any
 * message saying "already exists"). A 400 that only finds the key malformed is not a duplicate.
 */
export function isDuplicateAnswer(status: number, body: unknown): boolean {
  if (status === 409) return true
  if (status !== 400) return false
  return perkvilleErrors(body).some(
    (e) =>
      /already exists/i.test(e.message) ||
      ((e.field === TRANS_SOURCE_ID || /trans[_ ]source[_ ]id/i.test(e.message)) &&
        /already|exist|unique|duplicate/i.test(e.message)),
  )
}

/** One error Perkville gave: its code (`E003`), the field it is about, and its words. */
export interface PerkvilleError {
  code: string | null
  field: string | null
  message: string
}

/** Keys of an error answer that are not field names. */
const ERROR_ENVELOPE = new Set([
  'status',
  'error_codes',
  'errors',
  'detail',
  'error',
  'error_description',
  'message',
])

/**
 * Every error in an answer, in both shapes Perkville uses: the documented
 * `{"status":"failure","error_codes":[{"code","message"}],"errors":["..."]}`, and field-keyed errors
 * (`{"field": ["..."]}`, at the top or under `errors`), plus a plain `detail`/`error`/`message`.
 */
export function perkvilleErrors(body: unknown): PerkvilleError[] {
  const obj = asObject(body)
  if (!obj) return []
  const out: PerkvilleError[] = []
  if (Array.isArray(obj.error_codes)) {
    for (const entry of obj.error_codes) {
      const e = asObject(entry)
      const message = typeof e?.message === 'string' ? e.message : null
      if (message !== null)
        out.push({ code: typeof e?.code === 'string' ? e.code : null, field: null, message })
    }
  }
  if (Array.isArray(obj.errors) && out.length === 0) {
    for (const m of obj.errors) if (typeof m === 'string') out.push({ code: null, field: null, message: m })
  }
  // Field-keyed: `{"errors": {"field": "msg" | ["msg"]}}`, or Tastypie/DRF-style lists at the top.
  const nested = asObject(obj.errors)
  for (const [field, value] of Object.entries(nested ?? {})) {
    for (const message of [value].flat())
      if (typeof message === 'string') out.push({ code: null, field, message })
  }
  for (const [field, value] of Object.entries(obj)) {
    if (ERROR_ENVELOPE.has(field) || !Array.isArray(value)) continue
    for (const message of value) if (typeof message === 'string') out.push({ code: null, field, message })
  }
  for (const key of ['detail', 'message']) {
    if (typeof obj[key] === 'string') out.push({ code: null, field: null, message: obj[key] as string })
  }
  return out
}

/**
 * Perkville's documented error codes (its v1 reference) about what a transaction names: which setting
 * is wrong, and how. The destination parks the events they affect until the setting is fixed.
 */
export const TRANSACTION_ERROR_CODES: Readonly<
  Record<string, { names: 'location' | 'perk'; problem: 'missing' | 'inactive' | 'other_business' }>
> = {
  E000: { names: 'location', problem: 'missing' },
  E001: { names: 'location', problem: 'inactive' },
  E002: { names: 'location', problem: 'other_business' },
  E003: { names: 'perk', problem: 'missing' },
  E004: { names: 'perk', problem: 'inactive' },
  E005: { names: 'perk', problem: 'other_business' },
}

/** The first documented error code of an answer (`E000`…), or null. */
export function errorCode(body: unknown): string | null {
  return perkvilleErrors(body).find((e) => e.code !== null)?.code ?? null
}

/**
 * classifyTransactionResponse for the answer to this transaction. Only a once-per-day transaction can
 * meet the daily limit, and its refusal is read first (Perkville may check the day before the key):
 * any 4xx but 401, 408 and 429 whose message says so.
 */
export function classifyTransactionAnswer(
  tx: Pick<Transaction, 'oncePerDay'>,
  status: number,
  body: unknown,
  retryAfterHeader: string | null,
): DeliveryClass {
  if (tx.oncePerDay && status >= 400 && status < 500 && ![401, 408, 429].includes(status)) {
    const refusal = dailyLimitRefusal(body)
    if (refusal !== null) return { class: 'daily_limit', status, message: `HTTP ${status}: ${refusal}` }
  }
  return classifyTransactionResponse(status, body, retryAfterHeader)
}

/**
 * Perkville documents `limit_to_once_per_calendar_day` but not how it refuses a second award, so
 * every plausible form counts (assumption, docs/perkville-api.md): the message in the documented
 * `errors` list or `error_codes`, field-keyed (`{"limit_to_once_per_calendar_day": [...]}`), under
 * `errors` or a resource name, or as `detail`/`message`/`error`. What decides is the message's
 * meaning (once per day, already awarded today, a daily limit), never the field name alone: a
 * refusal of the flag itself (say "must be a boolean") is an error, not a skip. The message found, or null.
 */
export function dailyLimitRefusal(body: unknown): string | null {
  for (const text of messagesOf(body, 0, { left: 200 })) {
    if (DAILY_LIMIT_WORDS.some((words) => words.test(text))) return text.slice(0, 500)
  }
  return null
}

const DAILY_LIMIT_WORDS = [
  /\bonce (?:per|a|each|every) (?:calendar )?day\b/i,
  /\bper calendar day\b/i,
  /\bdaily limit\b/i,
  /\blimit(?:ed)? to once\b/i,
  /\balready\b.{0,80}\btoday\b/i,
]

/** The strings of an answer body, breadth bounded: Perkville's text is outside input. */
function messagesOf(value: unknown, depth: number, budget: { left: number }): string[] {
  if (budget.left <= 0 || depth > 4) return []
  if (typeof value === 'string') {
    budget.left--
    return [value.slice(0, 2_000)]
  }
  const children = Array.isArray(value) ? value : asObject(value) ? Object.values(value as object) : []
  return children.flatMap((child) => messagesOf(child, depth + 1, budget))
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
 * Perkville's own message, kept for the operator: its errors in either shape (`E003: Perk 34 does
 * not exist`, `field: msg, msg`), or an OAuth-style `error_description`/`error`.
 */
export function errorMessage(status: number, body: unknown): string {
  const errors = perkvilleErrors(body)
  if (errors.length > 0) return `HTTP ${status}: ${describeErrors(errors)}`
  const obj = asObject(body)
  for (const key of ['error_description', 'error']) {
    if (typeof obj?.[key] === 'string') return `HTTP ${status}: ${obj[key]}`
  }
  if (typeof body === 'string' && body.trim() !== '') return `HTTP ${status}: ${body.trim().slice(0, 500)}`
  return `HTTP ${status}`
}

/** The errors in order; one field's messages together (`email: a, b`). */
function describeErrors(errors: PerkvilleError[]): string {
  const parts: Array<string | { field: string; messages: string[] }> = []
  for (const e of errors) {
    if (e.code !== null) parts.push(`${e.code}: ${e.message}`)
    else if (e.field === null) parts.push(e.message)
    else {
      const same = parts.find((p) => typeof p !== 'string' && p.field === e.field)
      if (typeof same === 'object') same.messages.push(e.message)
      else parts.push({ field: e.field, messages: [e.message] })
    }
  }
  return parts.map((p) => (typeof p === 'string' ? p : `${p.field}: ${p.messages.join(', ')}`)).join('; ')
}

/** A list response: `{"meta": {...}, "objects": [...]}`. */
export interface ListPage<T> {
  meta: { limit: number; next: string | null; offset: number; previous: string | null; total_count: number }
  objects: T[]
}

export interface BusinessResource {
  id: number
  name: string
  /** Sandbox/assumed: the IANA time zone its calendar days (once-per-day perks) are counted in. */
  timezone?: string
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

/**
 * The token goes only to Perkville: a URL Perkville's answer points to (`meta.next`, a resource URI)
 * is followed only on the origin of the configured base URL. Null when it may be followed, otherwise
 * why not (naming origins only, never a path or query).
 */
export function foreignOrigin(url: string, baseUrl: string): string | null {
  let origin: string
  try {
    origin = new URL(url).origin
  } catch {
    return 'an address that is not a URL'
  }
  const base = new URL(baseUrl).origin
  return origin === base
    ? null
    : `a URL on ${origin}, not on the configured Perkville origin ${base}: refused, the token is sent only to Perkville`
}
