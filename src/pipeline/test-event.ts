import { randomUUID } from 'node:crypto'
import type { Destination } from './destination.js'
import { atTheDoor } from './door.js'
import type { AcceptResult, IncomingEvent, TestEventResult } from './service-api.js'
import type { ReadModel } from './storage/storage.js'

export interface TestEventDeps {
  storage: ReadModel
  destination: Destination
  accept: (events: IncomingEvent[]) => Promise<AcceptResult>
  now: () => number
}

/**
 * The event tester: the decision the current settings give an event, and the transaction that
 * would be sent. With `send`, the event goes through intake like any other (a messageId is given
 * when it has none, so it can be found afterwards).
 */
export async function testEvent(
  deps: TestEventDeps,
  event: unknown,
  send: boolean,
): Promise<TestEventResult> {
  const incoming: IncomingEvent = {
    payload: event,
    source: 'tracking-api',
    receivedAt: deps.now(),
    writeKeySource: 'console',
  }
  const verdict = atTheDoor(deps.destination.settings, incoming)
  const decision: TestEventResult['decision'] =
    verdict.kind === 'queue'
      ? { outcome: 'queue', code: null, message: null, transaction: verdict.event.tx }
      : { outcome: verdict.kind, code: verdict.code, message: verdict.message, transaction: null }
  if (!send) return { decision }
  const payload =
    typeof event === 'object' && event !== null && !Array.isArray(event)
      ? { messageId: `console-test-${randomUUID()}`, ...(event as Record<string, unknown>) }
      : event
  const messageId = (payload as { messageId?: unknown }).messageId
  const result = await deps.accept([{ ...incoming, payload }])
  if (result.duplicates > 0) return { decision, sent: { status: 'duplicate', id: null } }
  const [hit] = typeof messageId === 'string' ? await deps.storage.search({ messageId, limit: 1 }) : []
  if (!hit)
    return { decision, sent: { status: decision.outcome === 'skip' ? 'skipped' : 'rejected', id: null } }
  return {
    decision,
    sent: hit.event
      ? { status: hit.event.status, id: hit.event.id }
      : { status: hit.refusal.kind === 'skip' ? 'skipped' : 'rejected', id: hit.refusal.id },
  }
}
