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
] as const
export type RejectCode = (typeof REJECT_CODES)[number]

export const SKIP_CODES = ['ZERO_AMOUNT'] as const
export type SkipCode = (typeof SKIP_CODES)[number]

export type TransactionKind = 'event' | 'spend' | 'refund'

/** What one event turns into: everything Perkville needs, and nothing about how it is sent. */
export interface Transaction {
  perkId: string
  email: string
  businessId: string
  locationId: string
  sendEmail: boolean
  /** Points basis: 1 for plain events, the order amount in currency units for spends, negative for refunds. */
  quantity: number
  kind: TransactionKind
  orderId: string | null
  messageId: string | null
  timestamp: string | null
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
