import { BATCH_LIMIT_EVENTS, EVENT_LIMIT_BYTES, REQUEST_LIMIT_BYTES } from '../../server/limits.js'

/** `{"batch":[` + `]}`: what a request body adds around its events. */
const ENVELOPE_BYTES = Buffer.byteLength('{"batch":[]}')

export const DEFAULT_BATCH_SIZE = 500
export { BATCH_LIMIT_EVENTS }

/** One event ready to send: its JSON text and where it came from. */
export interface Item {
  line: number
  json: string
  bytes: number
}

/**
 * Events of one input sent in one request. `spanStart`..the last item's line are the lines the batch
 * settles: besides its own events only lines that need no sending (bad lines, lines an earlier run
 * already delivered), so once the batch is accepted the whole span can go into the checkpoint.
 */
export interface Batch {
  input: number
  spanStart: number
  items: Item[]
  bytes: number
}

export function lastLine(batch: Batch): number {
  return batch.items[batch.items.length - 1]!.line
}

/** The request body of a batch, from the events' JSON text as is (no second serialisation). */
export function batchBody(batch: Batch): string {
  return `{"batch":[${batch.items.map((i) => i.json).join(',')}]}`
}

/** The event's JSON, or why it cannot go into any batch. */
export function serialise(
  event: Record<string, unknown>,
): { json: string; bytes: number } | { tooLarge: number } {
  const json = JSON.stringify(event)
  const bytes = Buffer.byteLength(json)
  return bytes > EVENT_LIMIT_BYTES ? { tooLarge: bytes } : { json, bytes }
}

/** Splits a batch in two halves (to find the events a 400 is about); null for a single event. */
export function halves(batch: Batch): [Batch, Batch] | null {
  if (batch.items.length < 2) return null
  const mid = batch.items.length >> 1
  const first = batch.items.slice(0, mid)
  const second = batch.items.slice(mid)
  const size = (items: Item[]) => items.reduce((n, i) => n + i.bytes + 1, ENVELOPE_BYTES)
  return [
    { input: batch.input, spanStart: batch.spanStart, items: first, bytes: size(first) },
    { input: batch.input, spanStart: first[first.length - 1]!.line + 1, items: second, bytes: size(second) },
  ]
}

/**
 * Packs events into batches within Segment's limits: at most `maxEvents` (≤ 2,500) events and
 * 500 KB per request. Batches never span two inputs.
 */
export class Batcher {
  private current: Batch | null = null
  private spanStart = 1
  private input = -1

  constructor(private readonly maxEvents: number) {}

  /** Adds an event; returns the batch it completed, if any. */
  add(input: number, item: Item): Batch | null {
    let done: Batch | null = null
    if (input !== this.input) {
      done = this.flush()
      this.input = input
      this.spanStart = 1
    }
    const cur = this.current
    if (cur && (cur.items.length >= this.maxEvents || cur.bytes + item.bytes + 1 > REQUEST_LIMIT_BYTES)) {
      done = this.flush()
    }
    if (!this.current) this.current = { input, spanStart: this.spanStart, items: [], bytes: ENVELOPE_BYTES }
    this.current.items.push(item)
    this.current.bytes += item.bytes + 1
    return done
  }

  /** The batch being filled, if any. */
  flush(): Batch | null {
    const done = this.current
    this.current = null
    if (done) this.spanStart = lastLine(done) + 1
    return done
  }
}
