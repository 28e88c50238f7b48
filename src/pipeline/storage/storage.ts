/**
 * The interfaces between the delivery pipeline and its database, in three parts a consumer takes
 * one of: the queue (QueueStore), what is read back (ReadModel) and the store's own small records
 * (SettingsStore). Every method is an
 * intent ("accept these", "claim due work", "record this outcome"), never a query, so a
 * PostgreSQL implementation shared by several instances can honour the same contract with
 * leases (claims expire instead of living in one process's memory) and `FOR UPDATE SKIP LOCKED`
 * claims. Times are epoch milliseconds from the pipeline's clock; the storage never reads a clock.
 */
import type { Transaction } from '../../core/types.js'
import type { FailureReason, OrderRuleReason, ParkingReason } from '../failure-reasons.js'
import type { AttemptRecord, EventRecord, EventStatus } from '../service-api.js'

/** An event that passed the door and should be stored for delivery. */
export interface NewEvent {
  messageId: string | null
  externalId: string
  /** The dedup key (the external id): seen within the window → duplicate. */
  dedupKey: string
  /** Lower-cased email: the unit of per-customer ordering. */
  customerKey: string
  tx: Transaction
  /** The stored event (with receivedAt and defaulted timestamp), as JSON text. */
  payload: string
  source: string
  receivedAt: number
  /** The settings version this event was decided under (0: none recorded). */
  settingsVersion?: number
  /** The track name, when the event has one. */
  eventName?: string | null
  /** The Engage audience (computation key) an audience event is about. */
  audienceKey?: string | null
  /** Which configured write key (a label such as `write key 1`) or `webhook`; never the key. */
  writeKeySource?: string | null
  /** The sender's userId and anonymousId (see EventFields), searched exactly. */
  userId?: string | null
  anonymousId?: string | null
  /** Bulk (an import): its customer's new lane is claimed after every due live lane. */
  bulk?: boolean
}

/** An event refused at the door, kept for the console with its decision and what could be read of it. */
export interface NewRefusal {
  receivedAt: number
  kind: 'skip' | 'reject'
  code: string
  message: string
  email: string | null
  orderId: string | null
  messageId: string | null
  eventName: string | null
  audienceKey: string | null
  source: string
  writeKeySource: string | null
  /** The settings version the door decided it under (0: none recorded). */
  settingsVersion?: number
  /** The sender's userId and anonymousId (see EventFields), searched exactly. */
  userId?: string | null
  anonymousId?: string | null
  /** The event as received (write key removed), as JSON text. */
  payload: string
}

/** A stored refusal; its id is `r` and a number, apart from the accepted events' numeric ids. */
export interface StoredRefusal extends NewRefusal {
  id: string
}

export interface AcceptBatch {
  events: NewEvent[]
  /** Every refused event of the batch, stored in the same commit. */
  refusals?: NewRefusal[]
}

/** Per event: queued, a duplicate, or held back by an order rule (stored as failed for that reason). */
export type AcceptOutcome = 'queued' | 'duplicate' | { orderRule: OrderRuleReason }

/** The order ledger of one (order id, perk): amounts in cents, reserved by live (not failed) events. */
export interface LedgerState {
  awardedCents: number
  refundedCents: number
}

export type OrderDecision =
  | { action: 'queue'; quantity: number; ledger: LedgerState | null }
  | { action: 'fail'; reason: OrderRuleReason; message: string }

export interface AcceptContext {
  now: number
  /** Entries last seen before this time no longer count as duplicates. */
  dedupSince: number
  /** The order policy (order-rules.ts), applied inside the accepting transaction. */
  orderRule: (tx: Transaction, ledger: LedgerState) => OrderDecision
  /**
   * How many events this instance starts delivering itself as soon as the accept commits (its free
   * delivery slots), asked just before the commit: a store shared by instances wakes the others only
   * for work beyond that. Absent: the others are always told.
   */
  selfClaims?: () => number
  /**
   * Called once the accept holds every lock it takes (a store that runs accepts side by side, see
   * `QueueStore.acceptsAtOnce`): the next accept may start now and queues behind this one on any
   * customer, order or messageId they share, so receipt order still decides.
   */
  locked?: () => void
}

/** Work handed to a worker: the head event of one customer's lane, leased. */
export interface ClaimedEvent {
  id: string
  leaseId: number
  externalId: string
  tx: Transaction
  receivedAt: number
  attempts: number
  /** A previous attempt may have reached Perkville (timeout, 5xx, crash in flight): settle before resending. */
  unknown: boolean
  firstFailedAt: number | null
  /** The settings version its transaction was decided under: an older one means decide again. */
  settingsVersion: number
  /** The stored event (JSON text), decided again from when the settings changed. */
  payload: string
}

/** What one claim gives: the leased heads, and when the next lane falls due after it. */
export interface ClaimResult {
  claims: ClaimedEvent[]
  /** The earliest due time (or lease end) of any lane after this claim; null when nothing is queued. */
  nextDue: number | null
}

/** How an event was decided (at accept or again under newer settings), as its record keeps it. */
export type DecisionOutcome = 'queue' | 'skip' | 'reject' | 'fail'

export interface DecisionRow {
  at: number
  settingsVersion: number
  outcome: DecisionOutcome
  code: string | null
  message: string | null
  /** The transaction as decided (JSON text); null when nothing is sent. */
  transaction: string | null
}

/** A leased event decided again under newer settings. */
export interface Redecision {
  id: string
  leaseId: number
  at: number
  settingsVersion: number
  /** What the rules say now: a transaction to send, or why nothing is (the event is then parked). */
  verdict:
    | { outcome: 'queue'; tx: Transaction }
    | {
        outcome: 'skip' | 'reject'
        code: string
        message: string
        /** The parking reason and the text the event then shows: what happened and what to do. */
        parkReason: ParkingReason
        parkError: string
      }
}

/**
 * send: deliver this transaction under the same lease; parked or failed: the event left the queue
 * (the lease ended); lost: the lease was lost, nothing changed.
 */
export type RedecideResult =
  | { kind: 'send'; tx: Transaction }
  | { kind: 'parked' }
  | { kind: 'failed'; reason: OrderRuleReason }
  | { kind: 'lost' }

/** Undelivered events that wait on something: what an operator should hear about. */
export interface WaitingCounts {
  retrying: number
  parked: number
  /** The newest error among the waiting events (no secret: stored errors are scrubbed). */
  lastError: string | null
}

/** One POST as stored: the admin API's attempt record with its time in epoch ms and its bodies as JSON text (secrets already removed). */
export type AttemptRow = Omit<AttemptRecord, 'at' | 'request' | 'response'> & {
  at: number
  request: string | null
  response: string | null
}

export type CompletionResult =
  | { status: 'delivered'; at: number; transactionId: string | null }
  | { status: 'failed'; at: number; reason: FailureReason; error: string }
  | {
      status: 'retrying'
      nextAttemptAt: number
      unknown: boolean
      error: string
      firstFailedAt: number
    }
  /**
   * Perkville refused it as nothing to award now (DAILY_LIMIT_REACHED, in `reason`): finished, not an
   * error, never retried; like a failure it gives back its order-ledger share.
   */
  | { status: 'skipped'; at: number; reason: string; error: string }
  /** Waits for a settings change (Perkville does not know the business, location or perk). */
  /** `unknown`: an earlier attempt's fate is still unknown (cannot_settle): settled before any resend. */
  | { status: 'parked'; at: number; reason: ParkingReason; error: string; unknown?: boolean }
  /** Put back untouched (credentials pause, shutdown): no attempt is burned. */
  | { status: 'released'; nextAttemptAt: number; unknown: boolean }

export interface Completion {
  id: string
  leaseId: number
  /** POSTs made in this turn (0 for a settled lookup or a release). */
  attemptsMade: number
  log: AttemptRow[]
  result: CompletionResult
}

export interface CompleteResult {
  /** Per completion: false when its lease was lost and it was ignored. */
  applied: boolean[]
  /** Queued events failed as a consequence (refunds whose award failed). */
  cascadedFailures: number
}

/** An accepted event as stored: the admin API's record, with times in epoch ms and JSON as text. */
export interface StoredEvent
  extends Pick<
    EventRecord,
    | 'id'
    | 'messageId'
    | 'externalId'
    | 'email'
    | 'orderId'
    | 'perkId'
    | 'quantity'
    | 'kind'
    | 'status'
    | 'failureReason'
    | 'lastError'
    | 'attempts'
  > {
  requestedQuantity: number | null
  unknown: boolean
  receivedAt: number
  nextAttemptAt: number | null
  deliveredAt: number | null
  transactionId: string | null
  payload: string
  attemptLog: AttemptRow[]
  /** Every decision the event had, oldest first. */
  decisions: DecisionRow[]
  eventName?: string | null
  audienceKey?: string | null
  writeKeySource?: string | null
  userId?: string | null
  anonymousId?: string | null
  /** The transaction as stored (quantity after any order rule). */
  transaction?: Transaction
}

/** Failed events received in [from, to); `reasons` (when set) or else `excludeReasons` pick by failure reason. */
export interface ReplayRange {
  from: number
  to: number
  reasons: string[] | null
  excludeReasons: string[]
}

/** Where a search page starts: below this position in (receivedAt, table, seq) order, newest first. */
export interface SearchCursor {
  receivedAt: number
  /** 1: accepted events, 0: refusals. */
  table: 0 | 1
  seq: number
}

/** The console's search over accepted and refused events alike. */
export interface SearchFilter {
  /** An email (case-insensitive), an order id, a messageId, a userId or an anonymousId: any matches. */
  q?: string
  customerKey?: string
  orderId?: string
  messageId?: string
  status?: EventStatus
  /** A failure reason for accepted events, the door's code for refused ones. */
  code?: string
  /** The transaction kind (accepted events only). */
  kind?: string
  from?: number
  to?: number
  limit: number
  after?: SearchCursor
}

export type SearchHit =
  | { event: StoredEvent; refusal?: undefined }
  | { refusal: StoredRefusal; event?: undefined }

/** A range's events counted by status from the index alone. */
export interface StatusCount {
  status: EventStatus
  count: number
  /** Delivered (or failed) after exactly one POST. */
  firstTry: number
  /** With at least one POST made (order-rule failures never were). */
  sent: number
}

export interface RefusalCount {
  kind: 'skip' | 'reject'
  code: string
  count: number
}

/** Failed, parked and skipped (by Perkville) accepted events of a range by reason. */
export interface FailureCount {
  status: EventStatus
  reason: string | null
  count: number
}

export interface PruneResult {
  events: number
  /** Refused events pruned (absent when the store keeps none). */
  refusals?: number
}

/**
 * The delivery queue: what intake, the scheduler, the workers, operator actions and retention do to
 * events, and the connection's own health (ping, probeWrite, close).
 */
export interface QueueStore {
  /**
   * How many accepts the intake may run at once: SQLite 1 (one writer, a transaction is CPU alone),
   * PostgreSQL 2 (the second gathers its batch and takes its locks while the first waits on the server).
   */
  readonly acceptsAtOnce: number
  /** Stores each batch (one transaction for all of them): dedup, order rules, queueing, drop counts. */
  accept(batches: AcceptBatch[], ctx: AcceptContext): Promise<AcceptOutcome[][]>
  /** Leases up to `limit` due head-of-lane events (at most one per customer), and tells when the next falls due. */
  claim(limit: number, now: number, leaseMs: number): Promise<ClaimResult>
  /** Records outcomes; a completion whose lease was lost is ignored. */
  complete(completions: Completion[], now: number): Promise<CompleteResult>
  /**
   * Makes in-flight work abandoned by a crashed process claimable again, marked unknown so it is
   * settled before any resend. SQLite (one process) releases every in-flight row at start; a shared
   * database only those whose lease expired.
   */
  recoverAbandoned(now: number): Promise<number>
  /** Re-queues one failed or parked event (operator action); false when not found or neither. */
  /** `bulk`: one of a replay's events, claimed after live traffic (an operator's single retry is live). */
  retry(id: string, now: number, bulk?: boolean): Promise<boolean>
  /** Re-queues failed events received in the range; `reasons` limits which failure reasons. */
  replayFailed(range: ReplayRange, now: number): Promise<number>
  /**
   * Records a leased event's new decision under newer settings, moving its order-ledger share: the
   * old share is given back and the order rules run again on the new transaction, as at accept.
   */
  redecide(r: Redecision, ctx: Omit<AcceptContext, 'dedupSince'>): Promise<RedecideResult>
  /**
   * Parked events decided under a settings version older than `before` become pending (to be decided
   * again under the settings now in force); answers how many.
   */
  unpark(now: number, before: number): Promise<number>
  /**
   * Deletes delivered and failed events and refusals received before `deliveredBefore` (with their
   * attempts and drop counts), and order ledgers untouched since `ledgerBefore`. Stored events double as the
   * dedup record, so the caller keeps them at least as long as the dedup window.
   */
  prune(deliveredBefore: number, ledgerBefore: number): Promise<PruneResult>
  /**
   * Binds a signed webhook batch's first messageId to its body digest, forgetting bindings made
   * before `forgetBefore`: true when the id is new or already bound to this same body (a resend),
   * false when it is bound to another body (a replayed signature). One atomic insert-if-absent.
   */
  bindSignedBody(messageId: string, bodyDigest: string, now: number, forgetBefore: number): Promise<boolean>
  /**
   * Calls `onWork` when another instance sharing the store queued work, so it starts without
   * waiting for the poll (PostgreSQL: LISTEN/NOTIFY on a connection of its own, reconnecting by
   * itself). Absent where one process owns the store. Returns how to stop watching.
   */
  watchForWork?(onWork: () => void): () => Promise<void>
  /**
   * True when a write the size of a large batch commits now (SQLite: a full disk fails it even when
   * reads work). Only asked while writes have been failing, to learn when they work again.
   */
  probeWrite(): Promise<boolean>
  ping(): Promise<boolean>
  close(): Promise<void>
}

/** What the console, /admin/stats and the alerts read: events and counts, never a write. */
export interface ReadModel {
  /** One accepted event with its attempts and decisions; null when unknown. */
  getEvent(id: string): Promise<StoredEvent | null>
  /** Accepted and refused events matching the filter, newest first (receivedAt, then store order). */
  search(filter: SearchFilter): Promise<SearchHit[]>
  /** One refusal by its id (`r…`); null when unknown. */
  getRefusal(id: string): Promise<StoredRefusal | null>
  /** Events not yet delivered or failed. */
  queueDepth(): Promise<number>
  /** Door drops by code: the refusals kept, every instance's. */
  dropTotals(): Promise<Record<string, number>>
  /** Events received in [from, to) by status (index-only). */
  statusCounts(from: number, to: number): Promise<StatusCount[]>
  /** Refusals received in [from, to) by kind and code (index-only). */
  refusalCounts(from: number, to: number): Promise<RefusalCount[]>
  /** Failed, parked and skipped (by Perkville) events received in [from, to) by reason. */
  failureCounts(from: number, to: number): Promise<FailureCount[]>
  /** Up to `limit` received→accepted latencies of events delivered in [from, to), oldest first. */
  latencySample(from: number, to: number, limit: number): Promise<number[]>
  /** When the oldest event still waiting for delivery was received; null when none waits. */
  oldestWaiting(): Promise<number | null>
  /** Retrying and parked events, and the newest error among them. */
  waiting(): Promise<WaitingCounts>
  /** Parked events now, by reason. */
  parkedByReason(): Promise<Array<{ reason: string; count: number }>>
  /** When the most recently received delivered event was delivered; null when none was. */
  newestDelivery(): Promise<number | null>
}

/** The store's own small records: its meta, the destination settings' versions and the shared alert record. */
export interface SettingsStore {
  /** A value of the store's own small key-value record (the destination its queued events belong to). */
  getMeta(key: string): Promise<string | null>
  setMeta(key: string, value: string): Promise<void>
  /** Records a new version of the destination settings; answers its number (increasing). */
  appendSettingsVersion(version: NewSettingsVersion): Promise<number>
  /** The newest `limit` versions, newest first. */
  settingsVersions(limit: number): Promise<SettingsVersionRow[]>
  /** The alerts not yet resolved. */
  openAlerts(): Promise<AlertRow[]>
  /**
   * One change to the shared alert record, made only when it still applies (alert-sql.ts): the row
   * as changed, or null when another instance made it first (or it no longer applies). Whoever
   * gets the row sends the message.
   */
  recordAlert(change: AlertChange): Promise<AlertRow | null>
  /** The newest `limit` alerts, open and resolved, newest first. */
  alertHistory(limit: number): Promise<AlertRow[]>
}

/** The whole store, for the places that open, hand out or close it; everything else takes the part it uses. */
export interface Storage extends QueueStore, ReadModel, SettingsStore {}

/** One time an alert condition held, from firing until resolved (times epoch ms). */
export interface AlertRow {
  id: string
  /** The alert name, with the reason or code when one alert has several (`events_parked:unknown_location`). */
  key: string
  alert: string
  reason: string
  since: number
  firedAt: number
  count: number
  notifiedAt: number
  reminders: number
  seenAt: number
  /** The instance that last saw the condition hold. */
  seenBy: string
  resolvedAt: number | null
}

export type AlertChange =
  /** Opens the alert unless one is open for the key; resolved alerts before `forgetBefore` are deleted. */
  | {
      kind: 'fire'
      key: string
      alert: string
      reason: string
      since: number
      count: number
      at: number
      by: string
      forgetBefore: number
    }
  /** Claims a reminder: only while `notifiedAt` is still the value read. */
  | { kind: 'remind'; id: string; notifiedAt: number; count: number; at: number; by: string }
  | { kind: 'seen'; id: string; count: number; at: number; by: string }
  /**
   * Only once unseen since `ownQuietBefore` by the instance that saw it last (this one), or since
   * `quietBefore` by any: one look that misses a condition does not clear it.
   */
  | { kind: 'resolve'; id: string; at: number; by: string; ownQuietBefore: number; quietBefore: number }

/** Where a settings version came from. */
export type SettingsSource = 'start' | 'file' | 'api'

export interface NewSettingsVersion {
  at: number
  source: SettingsSource
  /** The whole settings as JSON text, API key included (the store is the service's own). */
  settings: string
  /** What changed from the version before, in words with no secret (JSON array of strings). */
  changes: string
}

export interface SettingsVersionRow extends NewSettingsVersion {
  version: number
}
