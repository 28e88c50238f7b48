/**
 * JSON parsing whose failure says where, never what: V8's messages quote the text around the error
 * (a request body or config file may hold a write key, a token, an API key), so the position is
 * found here instead, by a scan that only runs once JSON.parse has failed.
 */

const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y
const LITERAL = /true|false|null/y

export type JsonParse = { ok: true; value: unknown } | { ok: false; message: string }

/** Parses `text`; on failure `message` is e.g. `line 3, column 7 (byte offset 41): expected ':' after a property name`. */
export function parseJson(text: string): JsonParse {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false, message: describeJsonError(text) }
  }
}

/** Where the first syntax error of `text` is and what was expected there, without quoting it. */
export function describeJsonError(text: string): string {
  const { index, what } = locateJsonError(text) ?? { index: text.length, what: 'not valid JSON' }
  let line = 1
  let lineStart = 0
  for (let i = 0; i < index; i++) {
    if (text.charCodeAt(i) === 10) {
      line++
      lineStart = i + 1
    }
  }
  const bytes = new TextEncoder().encode(text.slice(0, index)).length
  return `line ${line}, column ${index - lineStart + 1} (byte offset ${bytes}): ${what}`
}

/** The index of the first syntax error and what was expected; null when `text` is valid JSON. */
export function locateJsonError(text: string): { index: number; what: string } | null {
  const n = text.length
  // Open containers: iterative, so a deeply nested body cannot overflow the stack.
  const stack: number[] = []
  let i = 0
  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i)
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break
      i++
    }
  }
  const fail = (what: string) => ({ index: i, what: i >= n ? `the input ends early (${what})` : what })
  /** Scans a string starting at its opening quote; returns a problem or null. */
  const string = (): string | null => {
    i++
    while (i < n) {
      const c = text.charCodeAt(i)
      if (c === 34) {
        i++
        return null
      }
      if (c < 32) return 'a control character inside a string (escape it)'
      if (c === 92) {
        const e = text[i + 1]
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return 'a \\u escape needs four hex digits'
          i += 6
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2
        else return 'an unknown escape in a string'
      } else i++
    }
    return 'an unterminated string'
  }
  const key = (): string | null => {
    if (text[i] !== '"') return 'expected a property name in double quotes'
    const bad = string()
    if (bad !== null) return bad
    ws()
    if (text[i] !== ':') return "expected ':' after a property name"
    i++
    return null
  }

  ws()
  for (;;) {
    // A value is expected at i.
    ws()
    const c = text[i]
    let closed = false
    if (c === '{' || c === '[') {
      stack.push(c === '{' ? 125 : 93)
      i++
      ws()
      if (text.charCodeAt(i) === stack[stack.length - 1]) {
        stack.pop()
        i++
        closed = true
      } else if (c === '{') {
        const bad = key()
        if (bad !== null) return fail(bad)
        continue
      } else continue
    }
    if (!closed) {
      if (c === '"') {
        const bad = string()
        if (bad !== null) return fail(bad)
      } else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
        NUMBER.lastIndex = i
        const m = NUMBER.exec(text)
        if (m === null) return fail('a malformed number')
        i += m[0].length
      } else {
        LITERAL.lastIndex = i
        const word = LITERAL.exec(text)
        if (word === null)
          return fail('expected a value (object, array, string, number, true, false or null)')
        i += word[0].length
      }
    }
    // After a value: close containers, or a comma leads to the next value.
    for (;;) {
      ws()
      const top = stack[stack.length - 1]
      if (top === undefined) return i < n ? fail('unexpected text after the JSON value') : null
      const d = text.charCodeAt(i)
      if (d === top) {
        stack.pop()
        i++
        continue
      }
      if (d === 44) {
        i++
        ws()
        if (top === 125) {
          const bad = key()
          if (bad !== null) return fail(bad)
        }
        break
      }
      return fail(
        top === 125
          ? "expected ',' or '}' after a property value"
          : "expected ',' or ']' after an array element",
      )
    }
  }
}
