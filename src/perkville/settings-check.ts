/**
 * Checks destination settings against the Perkville API: the token, the business, the location and
 * every perk the event and audience maps name. Transport-agnostic (the caller's `get` adds auth and does the I/O)
 * so the CLI, the delivery service and the Segment Actions destination share the same verdicts.
 */
import type { Settings } from '../core/settings.js'
import { ListReadError, readAllPages } from './pagination.js'
import { apiUrl, asObject, errorMessage, PATHS } from './wire.js'

/** GETs a URL with the caller's auth; answers the status and the parsed JSON body (or text). */
export type JsonGet = (url: string) => Promise<{ status: number; body: unknown }>

export interface CheckItem {
  item: string
  ok: boolean
  message: string
  action?: string
}

export interface CheckOptions {
  /** Check the perks of the event and audience maps (default true). */
  perks?: boolean
}

type CheckedSettings = Pick<Settings, 'businessId' | 'locationId' | 'eventToPerkMap'> &
  Partial<Pick<Settings, 'audienceToPerkMap'>>

const TOKEN_ACTION = 'make a new token in Perkville > Settings > Apps > Connect Segment and update apiKey'

export async function checkSettings(
  settings: CheckedSettings,
  baseUrl: string,
  get: JsonGet,
  opts: CheckOptions = {},
): Promise<CheckItem[]> {
  const items: CheckItem[] = []
  const perkIds = perksOfMaps(settings)
  const businessItem = `business ${settings.businessId}`
  const locationItem = `location ${settings.locationId}`
  const perkItems = opts.perks === false ? [] : [...perkIds].map(([id, events]) => perkLabel(id, events))

  const notChecked = (why: string) => {
    for (const item of [businessItem, locationItem, ...perkItems]) {
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
          : `token rejected: it lacks a needed scope such as ADMIN_CUSTOMER_GRANT_POINTS (${errorMessage(status, body)})`,
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
    for (const [id, events] of perkIds) {
      items.push(
        membershipItem(perks, perkLabel(id, events), id, 'title', {
          missing: `perk ${id} is not a perk of business ${settings.businessId}`,
          action: `fix ${events.join(', ')} in ${mapsNaming(events)}: use a perk id of the business`,
        }),
      )
    }
  }
  return items
}

/**
 * Distinct perk ids of both maps, each with what uses it in map order: an event name as JSON text,
 * an audience key as `audience "key"`.
 */
function perksOfMaps(settings: CheckedSettings): Map<string, string[]> {
  const out = new Map<string, string[]>()
  const add = (perk: string, user: string) => {
    const users = out.get(perk)
    if (users) users.push(user)
    else out.set(perk, [user])
  }
  for (const [event, perk] of Object.entries(settings.eventToPerkMap)) add(perk, JSON.stringify(event))
  for (const [key, perk] of Object.entries(settings.audienceToPerkMap ?? {}))
    add(perk, `${AUDIENCE} ${JSON.stringify(key)}`)
  return out
}
const AUDIENCE = 'audience'

function mapsNaming(users: string[]): string {
  const audiences = users.some((u) => u.startsWith(`${AUDIENCE} `))
  const events = users.some((u) => !u.startsWith(`${AUDIENCE} `))
  return [events ? 'eventToPerkMap' : '', audiences ? 'audienceToPerkMap' : ''].filter(Boolean).join(' and ')
}

function perkLabel(id: string, users: string[]): string {
  return `perk ${id} (${users.join(', ')})`
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
