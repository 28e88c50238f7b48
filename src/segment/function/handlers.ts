import { transactionExternalId } from '../../core/external-id.js'
import { decide, type RejectCode } from '../../core/index.js'
import {
  apiPathUrl,
  authorizationHeader,
  classifyTransactionAnswer,
  PATHS,
  transactionRequestBody,
} from '../../perkville/wire.js'
import { redactSecret } from '../shared/redact.js'
import type { FetchAnswer, FunctionErrors, FunctionRuntime } from './runtime.js'
import { functionSettingsOf } from './settings.js'

export type Handler = (event: unknown, settings: unknown) => Promise<void>

export interface Handlers {
  onTrack: Handler
  onIdentify: Handler
  onPage: Handler
  onScreen: Handler
  onGroup: Handler
  onAlias: Handler
}

/**
 * The Destination Function's handlers. `runtime` is read on every call, so the globals Segment
 * provides are looked up when an event arrives, not when the file loads.
 */
export function createHandlers(runtime: () => FunctionRuntime): Handlers {
  const notSupported =
    (type: string): Handler =>
    async () => {
      throw new (runtime().errors.EventNotSupported)(
        `${type} is not supported: only track and identify events earn Perkville points`,
      )
    }

  // Both go through the core: it tells an Engage audience (an identify, or an Audience Entered/Exited
  // track) from an ordinary track, so the Function decides exactly as every other form.
  const decideAndPost: Handler = (event, settings) => deliver(runtime(), event, settings)
  return {
    onTrack: decideAndPost,
    onIdentify: decideAndPost,
    onPage: notSupported('page'),
    onScreen: notSupported('screen'),
    onGroup: notSupported('group'),
    onAlias: notSupported('alias'),
  }
}

async function deliver(runtime: FunctionRuntime, event: unknown, rawSettings: unknown): Promise<void> {
  const { errors } = runtime
  const { core, baseUrl } = functionSettingsOf(rawSettings, errors)

  const outcome = decide(core, event)
  if (outcome.status === 'reject') {
    throw new (rejectClass(outcome.error.code, errors))(`${outcome.error.code}: ${outcome.error.message}`)
  }
  // A zero-amount order, an ordinary identify, an audience exit: nothing to award, not an error.
  if (outcome.status === 'skip') return

  const body = transactionRequestBody(outcome.transaction, transactionExternalId(event, outcome.transaction))
  let answer: FetchAnswer
  let text: string
  try {
    answer = await runtime.fetch(apiPathUrl(baseUrl, PATHS.transactions), {
      method: 'POST',
      headers: { Authorization: authorizationHeader(core.apiKey), 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    })
    text = await answer.text()
  } catch (err) {
    // Unknown outcome; retrying is safe because Perkville dedups on trans_source_id (a duplicate counts as delivered).
    throw new errors.RetryError(redactSecret(`could not reach Perkville: ${messageOf(err)}`, core.apiKey))
  }

  const verdict = classifyTransactionAnswer(
    outcome.transaction,
    answer.status,
    parseJson(text),
    answer.headers.get('retry-after'),
  )
  switch (verdict.class) {
    case 'delivered':
    case 'already_delivered':
    // DAILY_LIMIT_REACHED: the customer had this once-per-day perk today: a skip, not an error.
    case 'daily_limit':
      return
    case 'temporary':
      throw new errors.RetryError(redactSecret(`Perkville is unavailable: ${verdict.message}`, core.apiKey))
    case 'credentials':
      // Decided: not RetryError. A refused key does not fix itself; retrying every event for four
      // hours only delays the signal, so each event is discarded with a message saying what to fix.
      throw new errors.ValidationError(
        redactSecret(
          `Perkville refused the apiKey (${verdict.message}): make a new token in Perkville > Settings > Apps > Connect Segment with the ADMIN_CUSTOMER_GRANT_POINTS scope`,
          core.apiKey,
        ),
      )
    case 'permanent':
      throw new errors.ValidationError(
        redactSecret(`Perkville rejected the transaction: ${verdict.message}`, core.apiKey),
      )
  }
}

/**
 * Decided: events the destination does not handle at all (another type, an event name or an audience
 * outside the maps) are EventNotSupported, so they are counted as filtered, not as broken data; the
 * other rejects are InvalidEventPayload.
 */
const NOT_HANDLED: ReadonlySet<RejectCode> = new Set<RejectCode>([
  'UNSUPPORTED_EVENT_TYPE',
  'EVENT_NOT_ALLOWLISTED',
  'AUDIENCE_NOT_MAPPED',
])

function rejectClass(code: RejectCode, errors: FunctionErrors) {
  return NOT_HANDLED.has(code) ? errors.EventNotSupported : errors.InvalidEventPayload
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return null
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/** Duck-typed: errors from the runtime's fetch may come from another realm, where instanceof fails. */
function messageOf(err: unknown): string {
  if (typeof err !== 'object' || err === null || typeof (err as Error).message !== 'string')
    return String(err)
  // fetch wraps the network reason in `cause` ("fetch failed" alone says nothing).
  const cause = (err as { cause?: { message?: unknown } }).cause
  const reason = typeof cause?.message === 'string' ? ` (${cause.message})` : ''
  return `${(err as Error).message}${reason}`
}
