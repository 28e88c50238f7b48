import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { type InputRecord, isObject } from './record.js'

/**
 * JSONL of Segment events: one record per non-blank line, numbered by physical line. A line that is
 * not JSON is a bad record (it never stops the file); one that is JSON but not an object is left
 * for the rules to decide, as `plan` does.
 */
export async function* readJsonl(stream: Readable, input: number): AsyncGenerator<InputRecord> {
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })
  let line = 0
  for await (const text of lines) {
    line++
    if (text.trim() === '') continue
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (err) {
      yield {
        input,
        line,
        kind: 'bad',
        problem: {
          code: 'INVALID_JSON',
          message: `not valid JSON: ${withoutSnippet((err as Error).message)}`,
        },
      }
      continue
    }
    yield isObject(value)
      ? { input, line, kind: 'event', event: value }
      : { input, line, kind: 'not-object', value }
  }
}

/** V8's JSON errors can quote a piece of the line; reports never repeat input. */
function withoutSnippet(message: string): string {
  return message.replace(/, ".*"(?:\.\.\.)? is not valid JSON$/s, '')
}
