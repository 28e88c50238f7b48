/** The codes of the rules spec, exactly. */
export const REJECT_CODES = [
  'INVALID_JSON',
  'INVALID_EVENT',
  'UNSUPPORTED_EVENT_TYPE',
  'EVENT_NOT_ALLOWLISTED',
  'MISSING_EMAIL',
  'INVALID_EMAIL',
  'MISSING_AMOUNT',
  'INVALID_AMOUNT',
  'AUDIENCE_NOT_MAPPED',
  'AMBIGUOUS_AUDIENCE',
  'INVALID_AUDIENCE_VALUE',
] as const
export type RejectCode = (typeof REJECT_CODES)[number]

/** Outcomes that are not errors: services count them apart from rejects and never show them as failures. */
export const SKIP_CODES = ['ZERO_AMOUNT', 'NOT_AN_AUDIENCE', 'AUDIENCE_EXITED'] as const
export type SkipCode = (typeof SKIP_CODES)[number]

/**
 * The skip Perkville decides, never `decide`: it refused a once-per-day award because the customer
 * already had that perk that calendar day. Not an error, never retried.
 */
export const DAILY_LIMIT_REACHED = 'DAILY_LIMIT_REACHED'

const SKIPS: ReadonlySet<string> = new Set([...SKIP_CODES, DAILY_LIMIT_REACHED])

/** True for a skip code (the rules' and Perkville's): for counters that receive codes as plain strings. */
export function isSkipCode(code: string): code is SkipCode {
  return SKIPS.has(code)
}

export type TransactionKind = 'event' | 'spend' | 'refund' | 'audience'

/** What one event turns into: everything Perkville needs, and nothing about how it is sent. */
export interface Transaction {
  perkId: string
  email: string
  businessId: string
  locationId: string
  sendEmail: boolean
  /** Points basis: 1 for plain events and audiences, the order amount in currency units for spends, negative for refunds. */
  quantity: number
  kind: TransactionKind
  orderId: string | null
  messageId: string | null
  timestamp: string | null
  /** The Engage audience key; set exactly when `kind` is `audience` (it decides the external id). */
  audienceKey?: string
  /** Set (only ever true) when the event is in `oncePerDayEvents`: Perkville awards it once per customer and day. */
  oncePerDay?: true
}

export interface SendOutcome {
  status: 'send'
  transaction: Transaction
}
export interface SkipOutcome {
  status: 'skip'
  reason: { code: SkipCode; message: string }
}
export interface RejectOutcome {
  status: 'reject'
  error: { code: RejectCode; message: string }
}
export type Outcome = SendOutcome | SkipOutcome | RejectOutcome
