/**
 * The boundary between the HTTP server (src/server) and the delivery pipeline (src/pipeline).
 * The server parses and authenticates requests and hands events over; the pipeline decides,
 * stores, delivers and answers operator queries. Neither side reaches past this file.
 */
import type { Settings } from '../core/settings.js'

/** True for errors meaning the database cannot be used right now: the server answers 503, not 500. */
export { isStorageUnavailable } from './storage/unavailable.js'

/** One event as received, after batch-level context/integrations were merged into it. */
export interface IncomingEvent {
  /** The event object exactly as the client sent it (plus merged context/integrations). */
  payload: unknown
  /** Where it came from: 'tracking-api' | 'webhook'. */
  source: 'tracking-api' | 'webhook'
  /** Server receive time, epoch ms. Becomes `receivedAt`, and `timestamp` when missing. */
  receivedAt: number
  /** Which credential let it in, as a label (`write key 1`, `webhook`): never the key itself. */
  writeKeySource?: string
  /** Bulk (an import): claimed after every due live event. */
  bulk?: boolean
}

export interface AcceptResult {
  /** Stored durably for delivery. */
  queued: number
  /** Already seen within the dedup window (by messageId): acknowledged, not queued again. */
  duplicates: number
  /** Skipped at the door: nothing to send, not an error (ZERO_AMOUNT, NOT_AN_AUDIENCE, AUDIENCE_EXITED). */
  skipped: number
  /** Rejected at the door: a permanent error with a code. */
  rejected: number
  /** Not queued for delivery: skipped + rejected + failed at once by an order rule. */
  dropped: number
  /** Each event rejected at the door or failed by an order rule: its place in the request, code and words. */
  refusals?: Array<{ index: number; code: string; message: string }>
}

/** Door refusals by code, skips apart from rejects. */
export interface RefusalCounts {
  skipped: Record<string, number>
  rejected: Record<string, number>
}

/**
 * parked: waiting for a settings fix; skipped and rejected: refused at the door, kept for the console.
 * An accepted event is skipped too when Perkville refuses it as nothing to award (DAILY_LIMIT_REACHED).
 */
export const EVENT_STATUSES = [
  'pending',
  'in_flight',
  'retrying',
  'parked',
  'delivered',
  'failed',
  'skipped',
  'rejected',
] as const
export type EventStatus = (typeof EVENT_STATUSES)[number]

/** Events per page of a search: `limit` defaults to and is capped at these. */
export const EVENTS_PAGE = { default: 50, max: 500 } as const

export interface AttemptRecord {
  at: string
  durationMs: number
  outcome: string
  request: unknown
  response: unknown
  error: string | null
}

export interface EventRecord {
  id: string
  messageId: string | null
  externalId: string
  email: string
  orderId: string | null
  perkId: string
  quantity: number
  /** The quantity the event asked for, when an order rule clamped it (a refund capped at the order's award). */
  requestedQuantity?: number | null
  kind: string
  status: EventStatus
  /** For failed events: 'permanent' | 'expired' | 'order_already_awarded' | 'refund_exceeds_order' | ... */
  failureReason: string | null
  lastError: string | null
  attempts: number
  receivedAt: string
  nextAttemptAt: string | null
  deliveredAt: string | null
  /** A previous attempt may have reached Perkville; it is looked up before any resend. */
  outcomeUnknown?: boolean
  payload: unknown
  attemptLog: AttemptRecord[]
  /** Every decision the event had: at accept, and again under each newer settings version. */
  decisions?: DecisionRecord[]
}

export interface DecisionRecord {
  at: string
  settingsVersion: number
  /** queue: a transaction to send; skip/reject: nothing to send now (the event is parked); fail: an order rule. */
  outcome: 'queue' | 'skip' | 'reject' | 'fail'
  code: string | null
  message: string | null
  transaction: unknown
}

export interface StatsQuery {
  from: number
  to: number
  /** Trend bucket size in ms; default chosen from the range. */
  bucketMs?: number
}

export interface DeliveryStats {
  from: string
  to: string
  received: number
  delivered: number
  /** Failed deliveries by reason and door rejects by code (errors). Skips are not here. */
  notDelivered: Record<string, number>
  /** Skipped by code (at the door, or by Perkville at delivery: DAILY_LIMIT_REACHED): nothing to send, not errors. */
  skipped: Record<string, number>
  pending: number
  retrying: number
  /** Waiting for a settings change; `errors` lists them by reason with what to do. */
  parked: number
  latencyMs: { p50: number | null; p95: number | null }
  buckets: Array<{
    start: string
    delivered: number
    failed: number
    /** Rejected at the door. */
    rejected: number
    skipped: number
    p95Ms: number | null
  }>
  errors: Array<{ reason: string; count: number; lastMessage: string | null }>
}

export interface CredentialsState {
  state: 'ok' | 'rejected' | 'unknown'
  since: string | null
  message: string | null
  /** What the operator should do, in one sentence. */
  action: string | null
}

export interface Health {
  storage: 'ok' | 'error'
  /** Why storage is not ok, in words safe to show (never a connection string). */
  storageProblem?: string
  shuttingDown: boolean
  credentials: CredentialsState
  queueDepth: number
}

export interface DroppedSample {
  at: string
  /** skip: nothing to send, not an error; reject: an error. */
  kind: 'skip' | 'reject'
  code: string
  message: string
  messageId: string | null
  event: string | null
}

/** What the server needs from the pipeline. */
export interface DeliveryService extends ConsoleOperations {
  accept(events: IncomingEvent[]): Promise<AcceptResult>
  stats(query: StatsQuery): Promise<DeliveryStats>
  retryEvent(id: string): Promise<boolean>
  /** Webhook first-event signatures: false when this messageId already came with another body. */
  bindSignedBody(messageId: string, bodyDigest: string): Promise<boolean>
  replayFailed(range: { from: number; to: number; reason?: string }): Promise<number>
  /**
   * Queues every parked event again (after a fix in Perkville itself, e.g. the missing perk created);
   * each is decided again under the settings in force when it was parked under older ones.
   */
  releaseParked(): Promise<number>
  droppedSamples(): DroppedSample[]
  /** Door drops by code, from the refusals the store keeps (pruned by the same retention). */
  droppedCounts(): Promise<RefusalCounts>
  credentials(): CredentialsState
  health(): Promise<Health>
  /**
   * Swap destination settings at run time (resumes a credentials pause): `version` is the new
   * settings version; parked events go back to the queue and every undelivered event is decided
   * again under it when claimed, unless it was decided under a version from `decidesSince` on
   * (the oldest deciding alike with this one, when the caller knows it).
   */
  updateSettings(settings: Settings, version?: number, decidesSince?: number): Promise<void>
  start(): Promise<void>
  /** Stop taking work, finish or release in-flight deliveries, close storage. */
  stop(): Promise<void>
}

// The console's part of the boundary (issue 13): search, overview, errors, one customer, the event
// tester and the live feed.

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
  /** The sender's userId and anonymousId (null when it set none, or for events stored before they were kept). */
  userId: string | null
  anonymousId: string | null
  quantity: number | null
  perkId: string | null
}

/** A search result: the summary, the payload, and for accepted events every field /admin/events had. */
export type EventListItem = EventSummary & { payload: unknown } & Partial<
    Omit<EventRecord, keyof EventSummary>
  >

export interface EventSearch {
  /** An email, an order id, a messageId, a userId or an anonymousId. */
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
  samples: Array<{
    id: string
    at: string
    email: string | null
    eventName: string | null
    message: string | null
  }>
}

/** One decision an event had (the service's DecisionRecord; settingsVersion 0: none recorded). */
export type Decision = DecisionRecord

export type EventDetail = EventListItem & {
  /** The points Perkville recorded for its transaction (delivered events; null when no answer says). */
  points: number | null
  decisions: Decision[]
  attemptLog: AttemptRecord[]
  timeline: Array<{ at: string; what: string }>
}

export interface CustomerView {
  email: string
  events: EventSummary[]
  /**
   * Perkville's points for the delivered events: awarded and removed (refunds, as a positive number),
   * as Perkville recorded them; `unknown` delivered events whose answer does not say.
   */
  points: { awarded: number; removed: number; unknown: number }
  /** The quantities sent for the delivered events (visits, an order's amount), which are not points. */
  quantities: { awarded: number; removed: number }
  /** Whether Perkville's balance equals awarded − removed; null when the balance or some points are unknown. */
  reconciles: boolean | null
  audiences: Array<{ key: string; enteredAt: string; exitedAt: string | null }>
  /** Each order: its amount awarded and refunded, and the Perkville points each earned and lost. */
  orders: Array<{
    orderId: string
    awarded: number
    refunded: number
    pointsAwarded: number
    pointsRemoved: number
  }>
  balance: { points: number } | { unavailable: string }
}

/** POST /admin/refused/redecide: a preview (dryRun), or what was queued. */
export type RedecideRefusedResult =
  | { matched: number; wouldSend: number; stillRefused: Record<string, number> }
  | { matched: number; queued: number; alreadyQueued: number; stillRefused: Record<string, number> }

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
  /** Refused events matching the search, decided again under the settings in force (see redecide-refused.ts). */
  redecideRefused(
    query: Pick<EventSearch, 'q' | 'code' | 'from' | 'to'>,
    dryRun: boolean,
  ): Promise<RedecideRefusedResult>
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
