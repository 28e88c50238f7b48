/**
 * The console's part of the pipeline boundary (issue 13): search, overview, errors, one customer,
 * the event tester and the live feed. Re-exported by service-api.ts, which the server imports.
 */
import type { AttemptRecord, DecisionRecord, EventRecord, EventStatus } from './service-api.js'

/** One event as lists show it, accepted or refused alike; fields are null when absent. */
export interface EventSummary {
  /** Digits for accepted events, `r` and digits for refused ones. */
  id: string
  receivedAt: string
  status: EventStatus
  /** The failure reason (accepted) or the door's code (refused). */
  code: string | null
  /** The decision's or the last error's words. */
  message: string | null
  /** The transaction kind: event, spend, refund or audience; null when refused. */
  kind: string | null
  eventName: string | null
  email: string | null
  orderId: string | null
  messageId: string | null
  audienceKey: string | null
  /** `write key 1`, `write key 2`… (the order of the configured keys) or `webhook`; never a key. */
  writeKeySource: string | null
  quantity: number | null
  perkId: string | null
}

/** A search result: the summary, the payload, and for accepted events every field /admin/events had. */
export type EventListItem = EventSummary & { payload: unknown } & Partial<
    Omit<EventRecord, keyof EventSummary>
  >

export interface EventSearch {
  /** An email, an order id or a messageId. */
  q?: string
  email?: string
  messageId?: string
  orderId?: string
  status?: EventStatus
  code?: string
  kind?: string
  from?: number
  to?: number
  limit?: number
  cursor?: string
}

export interface TimeRange {
  from: number
  to: number
}

export interface Overview {
  from: string
  to: string
  bucketMs: number
  funnel: {
    received: number
    skipped: number
    rejected: number
    pending: number
    retrying: number
    parked: number
    delivered: number
    failed: number
  }
  series: Array<{
    start: string
    delivered: number
    notDelivered: number
    skipped: number
    p95Ms: number | null
  }>
  /** From up to LATENCY_SAMPLE deliveries per bucket (exact below that). */
  latencyMs: { p50: number | null; p95: number | null }
  /** Shares 0..1 of the events sent (delivered, or failed after at least one POST). */
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
  samples: Array<{ id: string; at: string; email: string | null; message: string | null }>
}

/** One decision an event had (the service's DecisionRecord; settingsVersion 0: none recorded). */
export type Decision = DecisionRecord

export type EventDetail = EventListItem & {
  decisions: Decision[]
  attemptLog: AttemptRecord[]
  timeline: Array<{ at: string; what: string }>
}

export interface CustomerView {
  email: string
  events: EventSummary[]
  /** Points basis delivered: awarded (positive quantities) and removed (refunds, as a positive number). */
  points: { awarded: number; removed: number }
  audiences: Array<{ key: string; enteredAt: string; exitedAt: string | null }>
  orders: Array<{ orderId: string; awarded: number; refunded: number }>
  balance: { points: number } | { unavailable: string }
}

export interface TestEventResult {
  decision: {
    outcome: 'queue' | 'skip' | 'reject'
    code: string | null
    message: string | null
    transaction: unknown
  }
  sent?: { status: EventStatus | 'duplicate'; id: string | null }
}

/** What the console asks of the pipeline. */
export interface ConsoleOperations {
  searchEvents(query: EventSearch): Promise<{ events: EventListItem[]; nextCursor: string | null }>
  eventDetail(id: string): Promise<EventDetail | null>
  overview(range: TimeRange): Promise<Overview>
  errorGroups(range: TimeRange): Promise<{ groups: ErrorGroup[] }>
  /** How many failed events a replay of this search would queue again. */
  replayPreview(query: EventSearch): Promise<{ count: number }>
  /** Queues again the failed events of this search; answers how many. */
  replaySearch(query: EventSearch): Promise<number>
  customer(email: string): Promise<CustomerView>
  testEvent(event: unknown, send: boolean): Promise<TestEventResult>
  /** Calls `listener` with each event as it is stored; returns the unsubscribe. */
  onEvent(listener: (event: LiveEvent) => void): () => void
}

/**
 * An event as the live feed announces it: right after it was stored (id null: the accept does not
 * read back row ids, so the hot path stays as it was; search by messageId to open it; `duplicate`
 * marks an event already stored within the dedup window), and when its delivery outcome is recorded.
 */
export type LiveEvent = Omit<EventSummary, 'id'> & { id: string | null; duplicate?: boolean }
