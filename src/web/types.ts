/** The admin API's answers, as the console contract describes them. */

export type Status =
  | 'pending'
  | 'in_flight'
  | 'retrying'
  | 'parked'
  | 'delivered'
  | 'failed'
  | 'skipped'
  | 'rejected'

export const STATUSES: Status[] = [
  'delivered',
  'pending',
  'in_flight',
  'retrying',
  'parked',
  'failed',
  'skipped',
  'rejected',
]

export interface EventSummary {
  id: string
  receivedAt: string
  status: Status
  code: string | null
  /** Why, in words: the reject or skip message, or the last delivery error. */
  message?: string | null
  kind: string | null
  eventName: string | null
  email: string | null
  orderId: string | null
  messageId: string | null
  audienceKey?: string | null
  writeKeySource?: string | null
  quantity: number | null
  perkId: string | null
  // the older answer's names
  failureReason?: string | null
  lastError?: string | null
}

export interface Attempt {
  at: string
  durationMs: number
  outcome: string
  request: unknown
  response: unknown
  error: string | null
}

export interface Decision {
  at: string
  settingsVersion?: number | null
  outcome: string
  code: string | null
  message: string | null
  transaction: unknown
}

export interface EventDetail extends EventSummary {
  payload: unknown
  decisions?: Decision[]
  attemptLog: Attempt[]
  timeline?: Array<{ at: string; what: string }>
  transaction?: unknown
}

export interface Overview {
  from: string
  to: string
  funnel: Record<
    'received' | 'skipped' | 'rejected' | 'pending' | 'retrying' | 'parked' | 'delivered' | 'failed',
    number
  >
  series: Array<{
    start: string
    delivered: number
    notDelivered: number
    skipped: number
    p95Ms: number | null
  }>
  latencyMs: { p50: number | null; p95: number | null }
  deliverability: { firstTry: number | null; final: number | null }
  queue: { depth: number; oldestWaitingAgeMs: number | null }
}

export interface ErrorGroup {
  kind: 'reject' | 'failure' | 'parked'
  code: string
  reason: string
  count: number
  previousCount: number
  action: string
  samples: Array<{ id: string; at: string; email: string | null; message: string }>
}

export interface CheckItem {
  item: string
  ok: boolean
  message: string
  action?: string
}

export interface SettingsView {
  version: number
  at: string
  source: string
  settings: {
    apiKey: string
    businessId: string
    locationId: string
    eventToPerkMap: Record<string, string>
    audienceToPerkMap?: Record<string, string>
    sendEmail: boolean
  }
  check?: { state: string; checkedAt: string | null; items: CheckItem[] }
}
