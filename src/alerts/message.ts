import { type AlertName, STALLED } from './conditions.js'

/**
 * The one message shape every destination gets: Slack reads `text`, any other receiver the fields.
 * Built from the alert record only (names, times, counts and our own fixed words), so it can hold no
 * secret, no email address and no event payload.
 */
export interface AlertMessage {
  text: string
  alert: AlertName | 'test'
  state: 'firing' | 'resolved'
  since: string
  count: number
  reason: string
  consoleUrl: string
}

export interface AlertFacts {
  alert: AlertName
  since: number
  count: number
  reason: string
}

/** What each alert means and what to do, and where in the console to look. */
const WORDS: Record<
  AlertName,
  { what: string; count: (n: number, reason: string) => string; todo: string; view: string }
> = {
  credentials_rejected: {
    what: 'Perkville rejects the API key: delivery is paused',
    count: events('waiting'),
    todo: 'put a valid API key in Settings; delivery resumes by itself',
    view: 'settings',
  },
  events_parked: {
    what: 'events are parked because Perkville does not know a setting',
    count: events('parked'),
    todo: 'fix the business, location or perk in Settings (or create it in Perkville and release the parked events)',
    view: 'events?status=parked',
  },
  delivery_failing: {
    what: 'delivery is failing',
    count: (n, reason) =>
      reason === STALLED
        ? `${plural(n, 'minute', 'minutes')} without a delivery`
        : `${plural(n, 'event', 'events')} not delivered on the first try`,
    todo: 'look at the errors and at Perkville’s status',
    view: 'errors',
  },
  queue_stale: {
    what: 'the oldest waiting event is getting old',
    count: (n) => `waiting ${plural(n, 'minute', 'minutes')}`,
    todo: 'look at what holds the queue (retrying or paused deliveries)',
    view: 'overview',
  },
  storage_unavailable: {
    what: 'storage is unavailable: events cannot be accepted or delivered',
    count: () => 'writes or reads failing',
    todo: 'free disk space or bring the database back; the service resumes by itself',
    view: 'overview',
  },
  settings_check_failed: {
    what: 'the settings check failed',
    count: (n) => plural(n, 'item failed', 'items failed'),
    todo: 'run "Check settings" in Settings to see what is wrong with each item',
    view: 'settings',
  },
  refusal_surge: {
    what: 'many events are refused with one code',
    count: events('refused'),
    todo: 'add the event names to the map in Settings, or fix the sender',
    view: 'errors',
  },
}

export function alertMessage(
  facts: AlertFacts,
  state: 'firing' | 'resolved',
  opts: { consoleUrl: string; now: number; reminder?: boolean },
): AlertMessage {
  const words = WORDS[facts.alert]
  const since = new Date(facts.since).toISOString()
  const link = consoleLink(opts.consoleUrl, words.view)
  const howMany = words.count(facts.count, facts.reason)
  const head =
    state === 'resolved'
      ? `RESOLVED ${facts.alert} (${facts.reason}): ${words.what}, since ${since}, cleared at ${new Date(opts.now).toISOString()}`
      : `${opts.reminder ? 'STILL FIRING' : 'FIRING'} ${facts.alert} (${facts.reason}): ${words.what}, since ${since}; ${howMany}; what to do: ${words.todo}`
  return {
    text: `${head}. Console: ${link}`,
    alert: facts.alert,
    state,
    since,
    count: facts.count,
    reason: facts.reason,
    consoleUrl: link,
  }
}

/** The message `POST /admin/alerts/test` sends to every destination. */
export function testMessage(consoleUrl: string, now: number): AlertMessage {
  const link = consoleLink(consoleUrl, 'alerts')
  return {
    text: `TEST alert from the Perkville destination at ${new Date(now).toISOString()}: alerts reach this destination. Console: ${link}`,
    alert: 'test',
    state: 'firing',
    since: new Date(now).toISOString(),
    count: 0,
    reason: 'test',
    consoleUrl: link,
  }
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`
}

/** The count of an alert about events in one state: "1 event parked", "3 events parked". */
function events(state: string): (n: number) => string {
  return (n) => plural(n, `event ${state}`, `events ${state}`)
}

function consoleLink(base: string, view: string): string {
  return `${base.replace(/\/+$/, '')}/#/${view}`
}
