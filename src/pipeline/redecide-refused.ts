import type { Destination } from './destination.js'
import { atTheDoor } from './door.js'
import { allHits, searchFilter } from './event-search.js'
import { parsePayload } from './event-summary.js'
import type { AcceptResult, EventSearch, IncomingEvent, RedecideRefusedResult } from './service-api.js'
import type { ReadModel } from './storage/storage.js'

/** One request decides at most this many refused events again (the console shows the count first). */
export const REDECIDE_MAX = 100_000
/** Events accepted per accept call (the tracking API's batch size). */
const CHUNK = 500

export interface RedecideDeps {
  storage: ReadModel
  destination: Destination
  accept: (events: IncomingEvent[]) => Promise<AcceptResult>
}

/**
 * The events the door rejected that match the search (q, code, from, to), decided again under the
 * settings in force. A preview counts; otherwise the ones that now send are accepted like a new
 * arrival of the same event: same payload (so the same messageId or content id), source and receive
 * time. The dedup and Perkville's external id make that at most once ever: asking again finds them
 * already queued. Those still refused are counted by code, and nothing new is stored for them.
 */
export async function redecideRefused(
  deps: RedecideDeps,
  query: Pick<EventSearch, 'q' | 'code' | 'from' | 'to'>,
  dryRun: boolean,
): Promise<RedecideRefusedResult> {
  const filter = { ...searchFilter({ ...query, status: 'rejected' }, 1), status: 'rejected' as const }
  const stillRefused: Record<string, number> = {}
  const refuse = (code: string) => {
    stillRefused[code] = (stillRefused[code] ?? 0) + 1
  }
  let matched = 0
  const sends: IncomingEvent[] = []
  for await (const hit of allHits(deps.storage, filter, REDECIDE_MAX)) {
    const r = hit.refusal
    if (!r) continue
    matched++
    const incoming: IncomingEvent = {
      payload: parsePayload(r.payload),
      source: r.source as IncomingEvent['source'],
      receivedAt: r.receivedAt,
      ...(r.writeKeySource !== null ? { writeKeySource: r.writeKeySource } : {}),
    }
    const verdict = atTheDoor(deps.destination.settings, incoming)
    if (verdict.kind === 'queue') sends.push(incoming)
    else refuse(verdict.code)
  }
  if (dryRun) return { matched, wouldSend: sends.length, stillRefused }
  let queued = 0
  let alreadyQueued = 0
  for (let at = 0; at < sends.length; at += CHUNK) {
    const result = await deps.accept(sends.slice(at, at + CHUNK))
    queued += result.queued
    alreadyQueued += result.duplicates
    for (const refusal of result.refusals ?? []) refuse(refusal.code)
  }
  return { matched, queued, alreadyQueued, stillRefused }
}
