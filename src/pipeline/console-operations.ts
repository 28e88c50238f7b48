import { customerView } from './customer.js'
import type { Destination } from './destination.js'
import { computeErrorGroups } from './error-groups.js'
import { eventDetail } from './event-detail.js'
import { allHits, searchEvents, searchFilter } from './event-search.js'
import { ORDER_RULE_REASONS } from './failure-reasons.js'
import type { LiveEvents } from './live-events.js'
import { computeOverview } from './overview.js'
import type { QueueDepth } from './queue-depth.js'
import { redecideRefused } from './redecide-refused.js'
import type { AcceptResult, ConsoleOperations, EventSearch, IncomingEvent } from './service-api.js'
import type { QueueStore, ReadModel } from './storage/storage.js'
import { testEvent } from './test-event.js'

/** A replay of a search touches at most this many events (the console confirms the count first). */
export const REPLAY_MAX = 100_000
export interface ConsoleDeps {
  storage: QueueStore & ReadModel
  destination: Destination
  depth: QueueDepth
  live: LiveEvents
  now: () => number
  accept: (events: IncomingEvent[]) => Promise<AcceptResult>
  /** Failed events were queued again: claim them. */
  wake: () => void
}

/** The console's operations over the store (ConsoleOperations in service-api.ts). */
export function createConsoleOperations(deps: ConsoleDeps): ConsoleOperations {
  const { storage, now } = deps

  /** The failed events a replay of this search would queue again, by id. */
  async function* replayable(query: EventSearch): AsyncGenerator<string> {
    const filter = { ...searchFilter({ ...query, status: 'failed' }, 1), status: 'failed' as const }
    for await (const hit of allHits(storage, filter, REPLAY_MAX)) {
      const e = hit.event
      if (!e) continue
      if (query.code === undefined && ORDER_RULE_REASONS.includes(e.failureReason ?? '')) continue
      yield e.id
    }
  }

  return {
    searchEvents: (query) => searchEvents(storage, query),
    eventDetail: (id) => eventDetail(storage, id),
    overview: (range) => computeOverview({ storage, queueDepth: () => deps.depth.value, now }, range),
    errorGroups: (range) => computeErrorGroups(storage, range),
    async replayPreview(query) {
      let count = 0
      for await (const _ of replayable(query)) count++
      return { count }
    },
    async replaySearch(query) {
      const ids: string[] = []
      for await (const id of replayable(query)) ids.push(id)
      let n = 0
      for (const id of ids) if (await storage.retry(id, now(), true)) n++
      if (n > 0) {
        deps.depth.add(n)
        deps.wake()
      }
      return n
    },
    redecideRefused: (query, dryRun) =>
      redecideRefused({ storage, destination: deps.destination, accept: deps.accept }, query, dryRun),
    customer: (email) => customerView(storage, deps.destination, email),
    testEvent: (event, send) =>
      testEvent({ storage, destination: deps.destination, accept: deps.accept, now }, event, send),
    onEvent: (listener) => deps.live.subscribe(listener),
  }
}
