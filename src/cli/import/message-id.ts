import { createHash } from 'node:crypto'
import { canonicalJson } from '../../core/external-id.js'

/** The source name when `--source` is not given. */
export const DEFAULT_SOURCE = 'import'

/** Fields that say nothing about what happened (and a messageId, which is what is being made). */
const LEFT_OUT = new Set(['messageId', 'receivedAt', 'sentAt', 'writeKey', '_metadata'])

/**
 * Gives every event of one input a stable `messageId`, so that importing the same history again
 * (or resuming a killed run) sends the same ids and the service acknowledges them as duplicates.
 *
 * An event that has a usable messageId keeps it. Otherwise the id is
 * `imp-` + the first 40 hex digits of SHA-256 over `source`, the event's canonical JSON (keys sorted,
 * transport fields left out) and its occurrence: the n-th event with exactly that content in this
 * input gets n (0, 1, ...). So two identical rows stay two events, while reordering the file or
 * appending rows to it changes no id. One instance per input file: the same rows in another export
 * get the same ids.
 */
export class MessageIds {
  /** Occurrences by a 52-bit prefix of the content hash: a prefix collision only bumps a counter. */
  private readonly seen = new Map<number, number>()

  constructor(private readonly source: string) {}

  /** The event's id, set on the event when it had none. */
  assign(event: Record<string, unknown>): string {
    const own = event.messageId
    if (typeof own === 'string' && own.trim() !== '') return own
    const content = canonicalJson(Object.fromEntries(Object.entries(event).filter(([k]) => !LEFT_OUT.has(k))))
    const contentHash = createHash('sha256').update(this.source).update('\n').update(content).digest()
    const key = contentHash.readUIntBE(0, 6) * 16 + (contentHash[6]! >> 4)
    const occurrence = this.seen.get(key) ?? 0
    this.seen.set(key, occurrence + 1)
    const id = `imp-${createHash('sha256').update(contentHash).update(`\n${occurrence}`).digest('hex').slice(0, 40)}`
    event.messageId = id
    return id
  }
}
