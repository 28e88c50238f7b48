import { centsToNumber, MAX_MAGNITUDE_CENTS, parseAmount } from './amount.js'
import { looksLikeEmail } from './email.js'
import type { Settings } from './settings.js'
import type { Outcome, RejectCode, Transaction } from './types.js'

type Json = Record<string, unknown>

/**
 * The rules of the destination: one event in, exactly one outcome out, in the order of the
 * rules spec. Pure: no I/O, no clock, never throws on any input.
 */
export function decide(settings: Settings, event: unknown): Outcome {
  const outcome = decideUnsafe(settings, event)
  // The key never reaches a message, even when an event carries it as data.
  if (outcome.status === 'reject' && outcome.error.message.includes(settings.apiKey)) {
    outcome.error.message = redact(outcome.error.message, settings.apiKey)
  }
  return outcome
}

function decideUnsafe(settings: Settings, event: unknown): Outcome {
  if (!isObject(event))
    return reject('INVALID_EVENT', `the event must be a JSON object, got ${typeName(event)}`)

  const type = ownValue(event, 'type')
  if (type !== 'track') {
    return reject(
      'UNSUPPORTED_EVENT_TYPE',
      type === undefined
        ? 'type is missing; only "track" events are supported'
        : `type is ${show(type)}; only "track" events are supported`,
    )
  }

  const name = ownValue(event, 'event')
  if (typeof name !== 'string' || name === '') {
    return reject('INVALID_EVENT', `event (the event name) must be a non-empty string, got ${show(name)}`)
  }

  const map = settings.eventToPerkMap
  if (!Object.hasOwn(map, name)) {
    return reject('EVENT_NOT_ALLOWLISTED', `event ${show(name)} is not in eventToPerkMap`)
  }
  const perkId = map[name]!

  const properties = objectOrEmpty(ownValue(event, 'properties'))
  const context = objectOrEmpty(ownValue(event, 'context'))
  const traits = objectOrEmpty(ownValue(context, 'traits'))

  const emailFound = firstEmail(
    ownValue(event, 'email'),
    ownValue(properties, 'email'),
    ownValue(traits, 'email'),
  )
  if (emailFound === null) {
    return reject('MISSING_EMAIL', 'no email in email, properties.email or context.traits.email')
  }
  const [email, emailPath] = emailFound
  if (!looksLikeEmail(email)) {
    return reject('INVALID_EMAIL', `${emailPath} is ${show(email)}, not an email address`)
  }

  // One literal with every field, not `{ ...base, quantity }`: the spread copy was most of decide's time.
  const transaction = (quantity: number, kind: Transaction['kind'], orderId: string | null): Transaction => ({
    perkId,
    email,
    businessId: settings.businessId,
    locationId: settings.locationId,
    sendEmail: settings.sendEmail,
    messageId: stringOrNull(ownValue(event, 'messageId')),
    timestamp: stringOrNull(ownValue(event, 'timestamp')),
    quantity,
    kind,
    orderId,
  })

  const orderId = orderIdOf(properties)
  if (orderId === null) {
    return send(transaction(1, 'event', null))
  }

  const amountFound = firstAmount(properties)
  if (amountFound === null) {
    return reject(
      'MISSING_AMOUNT',
      `order ${show(orderId)} has no properties.revenue, properties.value or properties.total`,
    )
  }
  const [rawAmount, amountPath] = amountFound
  const amount = parseAmount(rawAmount)
  if (amount === null) {
    return reject('INVALID_AMOUNT', `${amountPath} is ${show(rawAmount)}, not a number`)
  }
  const refund = /refund/i.test(name)
  if (amount.negative && !refund) {
    return reject(
      'INVALID_AMOUNT',
      `${amountPath} is ${show(rawAmount)}: a negative amount is only allowed on a refund`,
    )
  }
  if (amount.cents > MAX_MAGNITUDE_CENTS) {
    return reject('INVALID_AMOUNT', `${amountPath} is ${show(rawAmount)}: above the limit of 1,000,000,000`)
  }
  if (amount.cents === 0n) {
    return {
      status: 'skip',
      reason: {
        code: 'ZERO_AMOUNT',
        message: `${amountPath} is ${show(rawAmount)}: zero after rounding to cents`,
      },
    }
  }
  const magnitude = centsToNumber(amount.cents)
  return send(refund ? transaction(-magnitude, 'refund', orderId) : transaction(magnitude, 'spend', orderId))
}

function redact(message: string, secret: string): string {
  const replaced = message.split(secret).join('[redacted]')
  // The marker and its neighbours can spell the secret again; then say nothing specific at all.
  return replaced.includes(secret) ? 'details withheld: the event carries the API key' : replaced
}

function send(transaction: Transaction): Outcome {
  return { status: 'send', transaction }
}

function reject(code: RejectCode, message: string): Outcome {
  return { status: 'reject', error: { code, message } }
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Non-object properties/context/traits are treated as absent. */
function objectOrEmpty(value: unknown): Json {
  return isObject(value) ? value : EMPTY
}
const EMPTY: Json = Object.freeze(Object.create(null))

const EMAIL_PATHS = ['email', 'properties.email', 'context.traits.email'] as const

function firstEmail(...candidates: unknown[]): [string, string] | null {
  for (let i = 0; i < candidates.length; i++) {
    const value = candidates[i]
    if (typeof value === 'string') {
      const trimmed = value.trim()
      if (trimmed !== '') return [trimmed, EMAIL_PATHS[i]!]
    }
  }
  return null
}

/** Decided: `orderId` (eCommerce v1) counts only when `order_id` is absent. */
function orderIdOf(properties: Json): string | null {
  return orderIdValue(ownValue(properties, 'order_id')) ?? orderIdValue(ownValue(properties, 'orderId'))
}

function orderIdValue(value: unknown): string | null {
  if (typeof value === 'string') {
    const trimmed = value.trim()
    return trimmed === '' ? null : trimmed
  }
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  return null
}

const AMOUNT_KEYS = ['revenue', 'value', 'total'] as const

function firstAmount(properties: Json): [unknown, string] | null {
  for (const key of AMOUNT_KEYS) {
    const value = ownValue(properties, key)
    if (value !== undefined && value !== null && value !== '') return [value, `properties.${key}`]
  }
  return null
}

/** Reads only the object's own data: inherited names such as `toString` are absent. */
function ownValue(object: Json, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null
}

function typeName(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value
}

/** A value as it appears in a message: JSON-ish and short. */
function show(value: unknown): string {
  if (value === undefined) return 'missing'
  if (typeof value === 'string') return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value)
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value)
  return typeName(value) === 'object' ? 'an object' : typeName(value)
}
