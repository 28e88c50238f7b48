import { decide } from '../core/decide.js'
import { transactionExternalId } from '../core/external-id.js'
import type { Settings } from '../core/settings.js'
import { withoutNul } from '../core/text-safe.js'
import { isSkipCode } from '../core/types.js'
import { eventFields, eventLabels } from './event-fields.js'
import type { DroppedSample, IncomingEvent, RefusalCounts } from './service-api.js'
import type { NewEvent, NewRefusal } from './storage/storage.js'
import { settleTimestamp } from './timestamp.js'

export const MISSING_IDENTITY = 'MISSING_IDENTITY'

/**
 * An event the door keeps out: a skip (nothing to send, not an error) or a reject (an error), with
 * what could be read of it, stored for the console.
 */
export interface DoorRefusal extends Omit<NewRefusal, 'receivedAt' | 'source' | 'writeKeySource'> {
  kind: 'skip' | 'reject'
}

export type DoorVerdict = { kind: 'queue'; event: NewEvent } | DoorRefusal

/**
 * Decides one incoming event at the door: Segment's own drop (no userId/anonymousId) first, as
 * Segment would never have forwarded it, then the destination rules. Never throws.
 */
export function atTheDoor(settings: Settings, incoming: IncomingEvent): DoorVerdict {
  const payload = incoming.payload
  const obj = isObject(payload) ? payload : null
  const messageId = obj && typeof obj.messageId === 'string' ? obj.messageId : null
  // Only a refusal needs every field read from the event: an accepted one has its transaction.
  const refused = (kind: 'skip' | 'reject', code: string, message: string): DoorRefusal => ({
    kind,
    code,
    message,
    ...eventFields(obj),
    payload: storedJson(payload),
  })
  if (obj && !hasIdentity(obj)) {
    return refused(
      'reject',
      MISSING_IDENTITY,
      'neither userId nor anonymousId is set; Segment drops such events',
    )
  }
  const receivedIso = new Date(incoming.receivedAt).toISOString()
  let stored: Record<string, unknown> | unknown = payload
  if (obj) {
    const copy: Record<string, unknown> = { ...obj, receivedAt: receivedIso }
    settleTimestamp(copy, receivedIso)
    stored = copy
  }
  const outcome = decide(settings, stored)
  if (outcome.status === 'reject') return refused('reject', outcome.error.code, outcome.error.message)
  if (outcome.status === 'skip') return refused('skip', outcome.reason.code, outcome.reason.message)
  // decide() only sends objects, so obj is set here. Its transaction has U+0000 as U+FFFD already
  // (outcomes.ts), and the id counts it so: PostgreSQL text cannot hold U+0000 (the JSON payload escapes it).
  const tx = outcome.transaction
  const externalId = transactionExternalId(obj!, tx)
  return {
    kind: 'queue',
    event: {
      messageId: withoutNul(messageId),
      externalId,
      dedupKey: externalId,
      customerKey: tx.email.toLowerCase(),
      tx,
      payload: storedJson(stored),
      source: incoming.source,
      receivedAt: incoming.receivedAt,
      ...eventLabels(obj!),
      writeKeySource: incoming.writeKeySource ?? null,
      ...(incoming.bulk ? { bulk: true } : {}),
    },
  }
}

/**
 * The event as stored and shown by the admin API. A write key is a credential and no part of the
 * event wherever a sender put it (top level, batch context, properties): every `writeKey` key goes.
 * Most events have none, so the text is only searched, and rebuilt when one is there.
 */
function storedJson(event: unknown): string {
  const text = JSON.stringify(event) ?? 'null'
  if (!text.includes('"writeKey"')) return text
  return JSON.stringify(event, (key, value) => (key === 'writeKey' ? undefined : value))
}

/** Segment drops an event that has neither a userId nor an anonymousId. */
export function hasIdentity(obj: Record<string, unknown>): boolean {
  return present(obj.userId) || present(obj.anonymousId)
}

function present(value: unknown): boolean {
  if (typeof value === 'string') return value.trim() !== ''
  return typeof value === 'number' && Number.isFinite(value)
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * A bounded ring of this instance's recent door drops; the counts are the store's (refusalTotals), so
 * every instance sharing it sees all of them.
 */
export class DropLog {
  private readonly ring: DroppedSample[] = []
  private next = 0

  constructor(private readonly capacity = 100) {}

  record(at: number, drop: Pick<DoorRefusal, 'kind' | 'code' | 'message' | 'messageId' | 'eventName'>): void {
    const sample: DroppedSample = {
      at: new Date(at).toISOString(),
      kind: drop.kind,
      code: drop.code,
      message: drop.message,
      messageId: drop.messageId,
      event: drop.eventName,
    }
    if (this.ring.length < this.capacity) this.ring.push(sample)
    else this.ring[this.next] = sample
    this.next = (this.next + 1) % this.capacity
  }

  /** Newest first. */
  samples(): DroppedSample[] {
    if (this.ring.length < this.capacity) return [...this.ring].reverse()
    return [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)].reverse()
  }
}

/** Door drop counts by code, skips and rejects apart (the codes say which: see isSkipCode). */
export function refusalTotals(byCode: Record<string, number>): RefusalCounts {
  const out: RefusalCounts = { skipped: {}, rejected: {} }
  for (const [code, n] of Object.entries(byCode)) out[isSkipCode(code) ? 'skipped' : 'rejected'][code] = n
  return out
}
