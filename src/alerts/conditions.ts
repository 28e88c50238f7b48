/**
 * When to alert, as pure functions: what the service observed goes in, the conditions that hold and
 * the transitions to send come out. No clock and no I/O here: the monitor passes `now` in, so tests
 * step time instead of sleeping.
 */

import type { AlertRow } from '../pipeline/storage/storage.js'

export const ALERT_NAMES = [
  'credentials_rejected',
  'events_parked',
  'delivery_failing',
  'queue_stale',
  'storage_unavailable',
  'settings_check_failed',
  'refusal_surge',
] as const
export type AlertName = (typeof ALERT_NAMES)[number]

/** Each condition's threshold; a count of 0 turns its condition off. */
export interface AlertThresholds {
  /** Delivery paused by rejected credentials for this long. */
  credentialsAfterMs: number
  /** At least this many events parked for one reason. */
  parkedMin: number
  /** First-try deliverability (percent) below this over `windowMs`… */
  firstTryBelowPercent: number
  /** …with at least this many events sent in the window. */
  minAttempts: number
  /** The window of the deliverability and refusal-surge conditions. */
  windowMs: number
  /** Nothing delivered for this long while events wait that long. */
  stalledAfterMs: number
  /** The oldest waiting event older than this. */
  oldestWaitingMs: number
  /** Storage unavailable or not ready for this long. */
  storageAfterMs: number
  /** Whether a failing settings check alerts. */
  settingsCheck: boolean
  /** At least this many refusals of one code within `windowMs`. */
  refusalSurge: number
  /** A condition still holding is told again after this long. */
  remindAfterMs: number
}

/** What the service knows at one moment (epoch ms throughout). */
export interface Observation {
  credentials: { rejected: boolean; since: number | null }
  /** Events not yet delivered or failed (the queue depth, parked ones included). */
  waiting: number
  /** Parked events now, by reason. */
  parked: Array<{ reason: string; count: number }>
  /** Events received within the window and sent: how many, and how many landed on the first try. */
  window: { sent: number; firstTry: number }
  /** When the oldest event still waiting for delivery was received; null: none waits. */
  oldestWaitingAt: number | null
  /** The newest delivery the store knows of (looked up over a recent stretch only); null: none. */
  lastDeliveredAt: number | null
  /** Since when storage has been unavailable or not ready; null: it is fine. */
  storageProblemSince: number | null
  /** The settings check's state after the last change. */
  settingsCheck: { failed: string[]; checkedAt: number | null }
  /** Rejects at the door within the window, by code. */
  refusals: Array<{ code: string; count: number }>
}

/** A condition that holds now. `key` is unique: the alert name, with the reason or code when there are several. */
export interface Condition {
  key: string
  alert: AlertName
  since: number
  count: number
  /** Short words or a code, never external text: no secret, address or payload can be in it. */
  reason: string
}

/**
 * What the transitions need of an open (not yet resolved) alert as recorded, shared by the instances
 * of one database: which condition, and when its last message (firing or reminder) was claimed.
 */
export type OpenAlert = Pick<AlertRow, 'id' | 'key' | 'notifiedAt'>

export type Transition =
  | { kind: 'fire'; condition: Condition }
  | { kind: 'remind'; open: OpenAlert; condition: Condition }
  /** Still holding, nothing to send: the record is refreshed (count, last seen). */
  | { kind: 'seen'; open: OpenAlert; condition: Condition }
  | { kind: 'resolve'; open: OpenAlert }

const MINUTE = 60_000
/** The reason of `delivery_failing` when the queue has not moved (else: the first-try share). */
export const STALLED = 'nothing delivered'
/** Reasons are our own codes and item names; still, what reaches a chat line is bounded. */
const REASON_CHARS = 200

function bounded(text: string): string {
  return text.length > REASON_CHARS ? `${text.slice(0, REASON_CHARS - 1)}…` : text
}

/**
 * One condition per group (a parked reason, a refusal code) with at least `min` events, keyed by the
 * group so each fires and clears on its own; a `min` of 0 turns the alert off.
 */
function perGroup<G extends { count: number }>(
  alert: AlertName,
  min: number,
  groups: G[],
  nameOf: (g: G) => string,
  now: number,
): Condition[] {
  if (min <= 0) return []
  return groups
    .filter((g) => g.count >= min)
    .map((g) => ({ key: `${alert}:${nameOf(g)}`, alert, since: now, count: g.count, reason: nameOf(g) }))
}

/** The conditions that hold in this observation. */
export function conditionsOf(o: Observation, t: AlertThresholds, now: number): Condition[] {
  const out: Condition[] = []
  const since = (at: number | null) => at ?? now
  if (o.credentials.rejected && now - since(o.credentials.since) >= t.credentialsAfterMs) {
    out.push({
      key: 'credentials_rejected',
      alert: 'credentials_rejected',
      since: since(o.credentials.since),
      count: o.waiting,
      reason: 'credentials rejected',
    })
  }
  out.push(...perGroup('events_parked', t.parkedMin, o.parked, (p) => p.reason, now))
  const failing = deliveryFailing(o, t, now)
  if (failing) out.push(failing)
  if (o.oldestWaitingAt !== null && now - o.oldestWaitingAt >= t.oldestWaitingMs) {
    out.push({
      key: 'queue_stale',
      alert: 'queue_stale',
      since: o.oldestWaitingAt + t.oldestWaitingMs,
      count: Math.floor((now - o.oldestWaitingAt) / MINUTE),
      reason: 'oldest waiting event',
    })
  }
  if (o.storageProblemSince !== null && now - o.storageProblemSince >= t.storageAfterMs) {
    out.push({
      key: 'storage_unavailable',
      alert: 'storage_unavailable',
      since: o.storageProblemSince,
      count: 1,
      reason: 'storage unavailable',
    })
  }
  if (t.settingsCheck && o.settingsCheck.failed.length > 0) {
    out.push({
      key: 'settings_check_failed',
      alert: 'settings_check_failed',
      since: since(o.settingsCheck.checkedAt),
      count: o.settingsCheck.failed.length,
      // The first failed item says most (a rejected token fails every item after it).
      reason: bounded(
        o.settingsCheck.failed.length === 1
          ? o.settingsCheck.failed[0]!
          : `${o.settingsCheck.failed[0]} and ${o.settingsCheck.failed.length - 1} more`,
      ),
    })
  }
  out.push(...perGroup('refusal_surge', t.refusalSurge, o.refusals, (r) => r.code, now))
  return out
}

/** First-try deliverability too low, or a queue that has not moved: either is "delivery failing". */
function deliveryFailing(o: Observation, t: AlertThresholds, now: number): Condition | null {
  const { sent, firstTry } = o.window
  if (t.minAttempts > 0 && sent >= t.minAttempts && (firstTry / sent) * 100 < t.firstTryBelowPercent) {
    return {
      key: 'delivery_failing',
      alert: 'delivery_failing',
      since: now,
      count: sent - firstTry,
      reason: `first-try deliverability ${Math.floor((firstTry / sent) * 100)}%`,
    }
  }
  // Waiting that long with no delivery since: a quiet period before the first event is no stall.
  const waitingSince = o.oldestWaitingAt
  if (waitingSince !== null && now - waitingSince >= t.stalledAfterMs) {
    const movedAt = Math.max(waitingSince, o.lastDeliveredAt ?? 0)
    if (now - movedAt >= t.stalledAfterMs) {
      return {
        key: 'delivery_failing',
        alert: 'delivery_failing',
        since: movedAt,
        count: Math.floor((now - movedAt) / MINUTE),
        reason: STALLED,
      }
    }
  }
  return null
}

/**
 * What to do about each condition given the alerts already open: fire the new ones, remind of those
 * told about longer than `remindAfterMs` ago, resolve the open ones that no longer hold. Sending
 * happens only for a transition whose claim on the shared record succeeds (see the monitor).
 */
export function transitionsOf(
  open: readonly OpenAlert[],
  holding: readonly Condition[],
  now: number,
  remindAfterMs: number,
): Transition[] {
  const byKey = new Map(open.map((a) => [a.key, a]))
  const out: Transition[] = []
  for (const condition of holding) {
    const existing = byKey.get(condition.key)
    if (!existing) out.push({ kind: 'fire', condition })
    else if (now - existing.notifiedAt >= remindAfterMs)
      out.push({ kind: 'remind', open: existing, condition })
    else out.push({ kind: 'seen', open: existing, condition })
  }
  const holds = new Set(holding.map((c) => c.key))
  for (const a of open) if (!holds.has(a.key)) out.push({ kind: 'resolve', open: a })
  return out
}
