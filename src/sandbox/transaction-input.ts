/**
 * Validates the body of `POST /v2/transactions/` the way the sandbox's Perkville does: every problem
 * is reported per field, as `{"errors": {"field": ["message"]}}`.
 */
import type { NewTransaction } from './store.js'

export type FieldErrors = Record<string, string[]>

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const MAX_QUANTITY = 1_000_000_000

export function validateTransactionInput(
  body: unknown,
): { ok: true; value: NewTransaction } | { ok: false; errors: FieldErrors } {
  const errors: FieldErrors = {}
  const add = (field: string, message: string) => {
    const list = errors[field] ?? []
    list.push(message)
    errors[field] = list
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, errors: { __all__: ['the body must be a JSON object'] } }
  }
  const b = body as Record<string, unknown>

  const id = (field: string): number => {
    const v = b[field]
    if (v === undefined || v === null) {
      add(field, 'this field is required')
      return 0
    }
    const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v.trim()) : v
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0) {
      add(field, 'must be a positive integer id')
      return 0
    }
    return n
  }
  const business = id('business')
  const location = id('location')
  const perk = id('perk')

  let email = ''
  if (b.email === undefined || b.email === null) add('email', 'this field is required')
  else if (typeof b.email !== 'string' || b.email.length > 254 || !EMAIL.test(b.email.trim())) {
    add('email', 'enter a valid email address')
  } else email = b.email.trim()

  let quantity = 0
  if (b.quantity === undefined || b.quantity === null) add('quantity', 'this field is required')
  else if (typeof b.quantity !== 'number' || !Number.isFinite(b.quantity)) add('quantity', 'must be a number')
  else if (b.quantity === 0) add('quantity', 'must not be zero')
  else if (Math.abs(b.quantity) > MAX_QUANTITY)
    add('quantity', `must be at most ${MAX_QUANTITY} in magnitude`)
  else quantity = b.quantity

  let sendEmail = false
  if (b.send_email !== undefined && b.send_email !== null) {
    if (typeof b.send_email !== 'boolean') add('send_email', 'must be true or false')
    else sendEmail = b.send_email
  }

  // Any other field (an `external_id`, say) is ignored, as Tastypie does: it dedups nothing.
  let transSourceId: string | null = null
  if (b.trans_source_id !== undefined && b.trans_source_id !== null) {
    if (typeof b.trans_source_id !== 'string' || b.trans_source_id === '' || b.trans_source_id.length > 255) {
      add('trans_source_id', 'must be a string of 1 to 255 characters')
    } else transSourceId = b.trans_source_id
  }

  let transactionDt: string | null = null
  if (b.transaction_dt !== undefined && b.transaction_dt !== null) {
    if (typeof b.transaction_dt !== 'string' || Number.isNaN(Date.parse(b.transaction_dt))) {
      add('transaction_dt', 'must be an ISO 8601 date-time')
    } else transactionDt = b.transaction_dt
  }

  let oncePerDay = false
  const limit = b.limit_to_once_per_calendar_day
  if (limit !== undefined && limit !== null) {
    if (typeof limit !== 'boolean') add('limit_to_once_per_calendar_day', 'must be true or false')
    else oncePerDay = limit
  }

  if (Object.keys(errors).length > 0) return { ok: false, errors }
  return {
    ok: true,
    value: { business, location, perk, email, quantity, sendEmail, transSourceId, transactionDt, oncePerDay },
  }
}
