import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { describeJsonError, locateJsonError, parseJson } from '../../src/core/json-syntax.js'
import { RUNS } from '../fixtures/property-runs.js'

describe('JSON errors say where, never what', () => {
  test('the locator agrees with JSON.parse on what is valid', () => {
    const valid = (text: string) => {
      try {
        JSON.parse(text)
        return true
      } catch {
        return false
      }
    }
    const pieces = fc.constantFrom(
      '{',
      '}',
      '[',
      ']',
      ',',
      ':',
      '"a"',
      '"\\u00e9"',
      '"\\x"',
      '1',
      '-0.5e3',
      '01',
      'tru',
      'true',
      'null',
      ' ',
      '\n',
      '"',
      '\\',
      'é',
    )
    fc.assert(
      fc.property(
        fc.oneof(
          fc.json(),
          fc.array(pieces).map((p) => p.join('')),
        ),
        (text) => {
          expect(locateJsonError(text) === null).toBe(valid(text))
        },
      ),
      RUNS,
    )
  })

  test('line, column and byte offset point at the error; the text around it is not repeated', () => {
    const body = '{\n  "writeKey": "wk_live_SECRET",\n  "event" "Checked In"\n}'
    const message = describeJsonError(body)
    expect(message).toBe("line 3, column 11 (byte offset 44): expected ':' after a property name")
    expect(body.slice(44, 45)).toBe('"')
    expect(message).not.toMatch(/SECRET|Checked/)
    // Multi-byte characters before the error: the byte offset counts UTF-8 bytes, the column characters.
    expect(describeJsonError('{"é": tru}')).toBe(
      'line 1, column 7 (byte offset 7): expected a value (object, array, string, number, true, false or null)',
    )
    expect(parseJson('[1, 2')).toEqual({
      ok: false,
      message:
        "line 1, column 6 (byte offset 5): the input ends early (expected ',' or ']' after an array element)",
    })
    expect(parseJson('{"a":1}')).toEqual({ ok: true, value: { a: 1 } })
    // Nesting deeper than any stack: found without recursion.
    expect(describeJsonError(`${'['.repeat(200_000)}x`)).toMatch(/column 200001 /)
  })
})
