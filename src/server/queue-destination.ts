import type { Logger } from 'pino'
import type { Settings } from '../core/settings.js'
import { normaliseBaseUrl } from '../perkville/wire.js'
import type { ReadModel, SettingsStore, Storage } from '../pipeline/storage/storage.js'

/** The store_meta key naming the destination the queued events belong to. */
const KEY = 'destination'

/** Where queued events go: the Perkville API and the business in it. */
export interface QueueDestination {
  /** The normalised base URL, without any user or password; `embedded sandbox` for the embedded one. */
  perkville: string
  business: string
}

/** The embedded sandbox may take another port at each start; it is one destination all the same. */
export function queueDestination(perkvilleUrl: string | null, settings: Settings): QueueDestination {
  return {
    perkville: perkvilleUrl === null ? 'embedded sandbox' : cleanUrl(perkvilleUrl),
    business: settings.businessId,
  }
}

function cleanUrl(text: string): string {
  try {
    const url = new URL(normaliseBaseUrl(text).url)
    url.username = ''
    url.password = ''
    url.search = ''
    url.hash = ''
    return url.toString()
  } catch {
    return text
  }
}

function describe(d: QueueDestination): string {
  return `Perkville ${d.perkville}, business ${d.business}`
}

function same(a: QueueDestination, b: QueueDestination): boolean {
  return a.perkville === b.perkville && a.business === b.business
}

/** Thrown at start: the queue holds undelivered events for another destination. */
export class QueueDestinationError extends Error {
  constructor(undelivered: number, stored: QueueDestination, now: QueueDestination) {
    super(
      `the queue holds ${undelivered} undelivered event(s) for ${describe(stored)}, but this start is for ` +
        `${describe(now)}. Start with the settings and Perkville URL those events belong to and let them ` +
        'deliver, or start with --move-queued-events (PERKVILLE_MOVE_QUEUED_EVENTS=1) to send them to this ' +
        'destination instead, each decided again under the settings in force.',
    )
    this.name = 'QueueDestinationError'
  }
}

async function undelivered(storage: ReadModel): Promise<number> {
  const [depth, waiting] = await Promise.all([storage.queueDepth(), storage.waiting()])
  return depth + waiting.parked
}

async function stored(storage: SettingsStore): Promise<QueueDestination | null> {
  const text = await storage.getMeta(KEY)
  if (text === null) return null
  try {
    const v = JSON.parse(text) as QueueDestination
    return typeof v.perkville === 'string' && typeof v.business === 'string' ? v : null
  } catch {
    return null
  }
}

/**
 * One destination per queue. At start: a queue with undelivered events for another destination
 * refuses the start unless `move` says to take them along (nothing is written on a refusal).
 */
export async function checkQueueDestination(
  storage: Storage,
  now: QueueDestination,
  move: boolean,
  logger: Logger,
): Promise<void> {
  const before = await stored(storage)
  if (before !== null && !same(before, now)) {
    const n = await undelivered(storage)
    if (n > 0 && !move) throw new QueueDestinationError(n, before, now)
    if (n > 0) {
      // What was parked there (an unknown location, say) may well be known here: try again.
      await storage.unpark(Date.now(), Number.MAX_SAFE_INTEGER)
      logger.warn(
        { undelivered: n, from: describe(before), to: describe(now) },
        'queued events move to the new destination (--move-queued-events)',
      )
    }
  }
}

/** Records the destination the queue now belongs to. */
export async function recordQueueDestination(storage: SettingsStore, now: QueueDestination): Promise<void> {
  const before = await stored(storage)
  if (before === null || !same(before, now)) await storage.setMeta(KEY, JSON.stringify(now))
}

/**
 * A settings change that moves the destination takes the queued events along (the operator changed
 * the settings deliberately); the history says so. Answers the words for the version's changes.
 */
export async function movedWithSettings(
  storage: ReadModel,
  from: QueueDestination,
  to: QueueDestination,
): Promise<string[]> {
  if (same(from, to)) return []
  const n = await undelivered(storage)
  return n === 0
    ? []
    : [
        `${n} undelivered event(s) move from business ${from.business} to business ${to.business}, each decided again under this version`,
      ]
}
