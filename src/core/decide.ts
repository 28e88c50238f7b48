import { centsToNumber, MAX_MAGNITUDE_CENTS, parseAmount } from './amount.js'
import { decideAudience, isAudienceEvent } from './audience.js'
import { chooseEmail } from './email.js'
import { isObject, type Json, objectOrEmpty, ownValue, show, typeName } from './json.js'
import { reject, send, skip, transactionOf } from './outcomes.js'
import type { Settings } from './settings.js'
import type { Outcome, Transaction } from './types.js'

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
  if (type !== 'track' && type !== 'identify') {
    return reject(
      'UNSUPPORTED_EVENT_TYPE',
      `type is ${show(type)}; only "track" and "identify" events are supported`,
    )
  }
  if (isAudienceEvent(event, type)) return decideAudience(settings, event, type)
  return decideTrack(settings, event)
}

function decideTrack(settings: Settings, event: Json): Outcome {
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
  const email = chooseEmail([
    [ownValue(event, 'email'), 'email'],
    [ownValue(properties, 'email'), 'properties.email'],
    [ownValue(objectOrEmpty(ownValue(context, 'traits')), 'email'), 'context.traits.email'],
  ])
  if (typeof email !== 'string') return email

  const oncePerDay = settings.oncePerDayEvents.includes(name)
  const transaction = (quantity: number, kind: Transaction['kind'], orderId: string | null) => {
    const tx = transactionOf(settings, event, perkId, email, quantity, kind, orderId)
    if (oncePerDay) tx.oncePerDay = true
    return tx
  }

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
    return skip('ZERO_AMOUNT', `${amountPath} is ${show(rawAmount)}: zero after rounding to cents`)
  }
  const magnitude = centsToNumber(amount.cents)
  return send(refund ? transaction(-magnitude, 'refund', orderId) : transaction(magnitude, 'spend', orderId))
}

function redact(message: string, secret: string): string {
  const replaced = message.split(secret).join('[redacted]')
  // The marker and its neighbours can spell the secret again; then say nothing specific at all.
  return replaced.includes(secret) ? 'details withheld: the event carries the API key' : replaced
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
