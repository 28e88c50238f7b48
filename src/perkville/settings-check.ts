/**
 * Checks destination settings against the Perkville API: the token, the business, the location and
 * every perk the event map names. Transport-agnostic (the caller's `get` adds auth and does the I/O)
 * so the CLI, the delivery service and the Segment Actions destination share the same verdicts.
 */
import type { Settings } from '../core/settings.js'
import { type JsonGet, ListReadError, readAllPages } from './pagination.js'
import { scopeNamedIn } from './scopes.js'
import { apiUrl, asObject, errorMessage, PATHS, transactionLookupQuery } from './wire.js'

export type { JsonGet } from './pagination.js'
/** POSTs a JSON body with the caller's auth; answers as JsonGet does. */
export type JsonPost = (url: string, body: unknown) => Promise<{ status: number; body: unknown }>

export interface CheckItem {
  item: string
  ok: boolean
  message: string
  action?: string
}

export interface CheckOptions {
  /** Check the perks of the event map (default true). */
  perks?: boolean
  /**
   * With a POST, the check also proves the token may grant points: it posts a transaction that
   * names only the business, which Perkville refuses as incomplete (400) when the scope is there
   * and as forbidden (403) when it is not. Nothing can be created by it.
   */
  post?: JsonPost
}

type CheckedSettings = Pick<Settings, 'businessId' | 'locationId' | 'eventToPerkMap'> & {
  /** Engage audiences → perk (optional: settings without audiences check as before). */
  audienceToPerkMap?: Record<string, string>
}

/** The items of the token's scopes, in the order they are checked. */
export const SCOPE_ITEMS = {
  grant: 'scope ADMIN_CUSTOMER_GRANT_POINTS',
  read: 'scope ADMIN_CUSTOMER_INFO',
} as const

const TOKEN_ACTION = 'make a new token in Perkville > Settings > Apps > Connect Segment and update apiKey'

export async function checkSettings(
  settings: CheckedSettings,
  baseUrl: string,
  get: JsonGet,
  opts: CheckOptions = {},
): Promise<CheckItem[]> {
  const items: CheckItem[] = []
  const perkIds = perksOfMap(settings.eventToPerkMap, settings.audienceToPerkMap ?? {})
  const businessItem = `business ${settings.businessId}`
  const locationItem = `location ${settings.locationId}`
  const scopeItems = [...(opts.post ? [SCOPE_ITEMS.grant] : []), SCOPE_ITEMS.read]
  const perkItems = opts.perks === false ? [] : [...perkIds].map(([id, users]) => perkLabel(id, users))

  const notChecked = (why: string) => {
    for (const item of [...scopeItems, businessItem, locationItem, ...perkItems]) {
      if (!items.some((i) => i.item === item)) items.push({ item, ok: false, message: `not checked: ${why}` })
    }
  }

  const business = await safeGet(get, apiUrl(baseUrl, PATHS.business(settings.businessId)))
  if (business.kind === 'error') {
    items.push({
      item: 'token',
      ok: false,
      message: `could not reach Perkville: ${business.message}`,
      action: 'check the network and the Perkville URL, then try again',
    })
    notChecked('Perkville could not be reached')
    return items
  }
  const { status, body } = business
  if (status === 401 || status === 403) {
    items.push({
      item: 'token',
      ok: false,
      message:
        status === 401
          ? `token rejected (${errorMessage(status, body)})`
          : `token rejected: ${lacking(scopeNamedIn(body))} (${errorMessage(status, body)})`,
      action: TOKEN_ACTION,
    })
    notChecked('the token was rejected')
    return items
  }
  if (status === 404) {
    items.push({ item: 'token', ok: true, message: 'token accepted' })
    items.push({
      item: businessItem,
      ok: false,
      message: `business ${settings.businessId} not found (${errorMessage(status, body)})`,
      action: 'set businessId to the id of your business in Perkville',
    })
    notChecked('the business was not found')
    return items
  }
  if (status < 200 || status >= 300) {
    items.push({
      item: 'token',
      ok: false,
      message: `could not check: Perkville answered ${errorMessage(status, body)}`,
      action: transientAction(status),
    })
    notChecked('Perkville did not answer the business lookup')
    return items
  }
  items.push({ item: 'token', ok: true, message: 'token accepted' })
  if (opts.post) items.push(await grantScopeItem(opts.post, baseUrl, settings.businessId))
  items.push(await readScopeItem(get, baseUrl, settings.businessId))
  const name = stringField(body, 'name')
  items.push({ item: businessItem, ok: true, message: name ? `business "${name}" found` : 'business found' })

  const locations = await listAll(get, apiUrl(baseUrl, PATHS.locations, { business: settings.businessId }))
  items.push(
    membershipItem(locations, locationItem, settings.locationId, 'name', {
      missing: `location ${settings.locationId} is not a location of business ${settings.businessId}`,
      action: 'set locationId to one of the business\u2019s locations in Perkville',
    }),
  )

  if (opts.perks !== false && perkIds.size > 0) {
    const perks = await listAll(get, apiUrl(baseUrl, PATHS.perks, { business: settings.businessId }))
    for (const [id, users] of perkIds) {
      items.push(
        membershipItem(perks, perkLabel(id, users), id, 'title', {
          missing: `perk ${id} is not a perk of business ${settings.businessId}`,
          action: `fix ${fixList(users)}: use a perk id of the business`,
        }),
      )
    }
  }
  return items
}

/** Which map entry uses a perk: an event of eventToPerkMap or an audience of audienceToPerkMap. */
interface PerkUser {
  map: 'eventToPerkMap' | 'audienceToPerkMap'
  key: string
}

/** Distinct perk ids of both maps, each with the entries that use it, in map order. */
function perksOfMap(
  events: Record<string, string>,
  audiences: Record<string, string>,
): Map<string, PerkUser[]> {
  const out = new Map<string, PerkUser[]>()
  const add = (map: PerkUser['map'], entries: Record<string, string>) => {
    for (const [key, perk] of Object.entries(entries)) {
      const users = out.get(perk)
      if (users) users.push({ map, key })
      else out.set(perk, [{ map, key }])
    }
  }
  add('eventToPerkMap', events)
  add('audienceToPerkMap', audiences)
  return out
}

function perkLabel(id: string, users: PerkUser[]): string {
  const names = users.map((u) =>
    u.map === 'audienceToPerkMap' ? `audience ${u.key}` : JSON.stringify(u.key),
  )
  return `perk ${id} (${names.join(', ')})`
}

function fixList(users: PerkUser[]): string {
  const parts: string[] = []
  for (const map of ['eventToPerkMap', 'audienceToPerkMap'] as const) {
    const keys = users.filter((u) => u.map === map).map((u) => JSON.stringify(u.key))
    if (keys.length > 0) parts.push(`${map} for ${keys.join(', ')}`)
  }
  return parts.join(' and ')
}

/** How a scope probe's answer reads: which statuses mean the scope is there, and the words for each case. */
interface ScopeProbe {
  item: string
  scope: string
  granted: (status: number) => boolean
  /** What the token may do, as in "the token may grant points". */
  may: string
  /** Why the scope matters, when that is not plain from `may`. */
  why?: string
}

/** One verdict for every scope probe: granted, refused (401/403: the scope is missing), or unknown. */
function scopeItem(probe: ScopeProbe, answer: GetResult): CheckItem {
  const { item } = probe
  if (answer.kind === 'error')
    return {
      item,
      ok: false,
      message: `could not check: ${answer.message}`,
      action: 'check the network and try again',
    }
  const { status, body } = answer
  if (probe.granted(status)) return { item, ok: true, message: `the token may ${probe.may}` }
  if (status === 401 || status === 403)
    return {
      item,
      ok: false,
      message: `the token may not ${probe.may}: it lacks the ${probe.scope} scope${probe.why ? `, ${probe.why}` : ''} (${errorMessage(status, body)})`,
      action: `${TOKEN_ACTION} (the token must have the ${probe.scope} scope)`,
    }
  return {
    item,
    ok: false,
    message: `could not check: Perkville answered ${errorMessage(status, body)}`,
    action: transientAction(status),
  }
}

/** A POST that only names the business: refused as incomplete (400) when the token may grant points. */
async function grantScopeItem(post: JsonPost, baseUrl: string, businessId: string): Promise<CheckItem> {
  let answer: GetResult
  try {
    const { status, body } = await post(apiUrl(baseUrl, PATHS.transactions), { business: Number(businessId) })
    answer = { kind: 'answer', status, body }
  } catch (err) {
    answer = { kind: 'error', message: err instanceof Error ? err.message : String(err) }
  }
  return scopeItem(
    {
      item: SCOPE_ITEMS.grant,
      scope: 'ADMIN_CUSTOMER_GRANT_POINTS',
      granted: (status) => status === 400 || status === 422 || (status >= 200 && status < 300),
      may: 'grant points',
    },
    answer,
  )
}

/** Reading transactions by trans_source_id is how delivery settles an unknown outcome without sending twice. */
async function readScopeItem(get: JsonGet, baseUrl: string, businessId: string): Promise<CheckItem> {
  const url = apiUrl(
    baseUrl,
    PATHS.transactions,
    transactionLookupQuery(businessId, 'perkville-destination-check'),
  )
  return scopeItem(
    {
      item: SCOPE_ITEMS.read,
      scope: 'ADMIN_CUSTOMER_INFO',
      granted: (status) => status >= 200 && status < 300,
      may: 'look up transactions',
      why: 'needed to settle a delivery whose answer was lost without sending it twice',
    },
    await safeGet(get, url),
  )
}

type ListResult =
  | { kind: 'ok'; objects: Record<string, unknown>[] }
  | { kind: 'failed'; message: string; action: string }

function membershipItem(
  list: ListResult,
  item: string,
  id: string,
  nameField: string,
  wording: { missing: string; action: string },
): CheckItem {
  if (list.kind === 'failed')
    return { item, ok: false, message: `could not check: ${list.message}`, action: list.action }
  const found = list.objects.find((o) => String(o.id) === id)
  if (!found) return { item, ok: false, message: wording.missing, action: wording.action }
  const name = stringField(found, nameField)
  return { item, ok: true, message: name ? `found: "${name}"` : 'found' }
}

/** Every object of a list, or why it could not be read and what to do. */
async function listAll(get: JsonGet, firstUrl: string): Promise<ListResult> {
  try {
    return { kind: 'ok', objects: await readAllPages(get, firstUrl) }
  } catch (err) {
    if (!(err instanceof ListReadError)) throw err
    switch (err.reason) {
      case 'transport':
        return { kind: 'failed', message: err.message, action: 'check the network and try again' }
      case 'status':
        return {
          kind: 'failed',
          message: `Perkville answered ${err.message}`,
          action: transientAction(err.status ?? 0),
        }
      default:
        return {
          kind: 'failed',
          message: `Perkville sent a broken list: ${err.message}`,
          action: 'report this to Perkville',
        }
    }
  }
}

type GetResult = { kind: 'answer'; status: number; body: unknown } | { kind: 'error'; message: string }

async function safeGet(get: JsonGet, url: string): Promise<GetResult> {
  try {
    const { status, body } = await get(url)
    return { kind: 'answer', status, body }
  } catch (err) {
    return { kind: 'error', message: err instanceof Error ? err.message : String(err) }
  }
}

/** What a 403 says the token lacks: the scope Perkville named, else what reading a business takes. */
function lacking(scope: string | null): string {
  return scope
    ? `it lacks the ${scope} scope`
    : 'it may not read this business (it lacks the PUBLIC scope, or the business is not one its user administers)'
}

function transientAction(status: number): string {
  if (status === 429 || status === 408 || status >= 500)
    return 'Perkville is busy or failing: try again later'
  if (status === 401 || status === 403) return TOKEN_ACTION
  return 'check the settings; if they are right, report this to Perkville'
}

function stringField(value: unknown, key: string): string | null {
  const v = asObject(value)?.[key]
  return typeof v === 'string' && v !== '' ? v : null
}
