import fc from 'fast-check'
import { expect, test } from 'vitest'
import { describeInvalidUtf8, invalidUtf8Offset } from '../../src/server/utf8.js'
import { RUNS } from '../fixtures/property-runs.js'

const decodes = (bytes: Uint8Array) => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes)
    return true
  } catch {
    return false
  }
}

test('the first invalid byte is where a strict decoder first fails', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 24 }),
      fc.string({ unit: 'grapheme', maxLength: 8 }),
      (noise, text) => {
        const bytes = Buffer.concat([Buffer.from(text, 'utf8'), noise])
        const at = invalidUtf8Offset(bytes)
        expect(at === -1).toBe(decodes(bytes))
        if (at !== -1) {
          expect(decodes(bytes.subarray(0, at))).toBe(true)
        }
      },
    ),
    RUNS,
  )
  const bytes = Buffer.concat([Buffer.from('{"a":\n "é', 'utf8'), Buffer.from([0xc3, 0x28])])
  expect(describeInvalidUtf8(bytes, invalidUtf8Offset(bytes))).toBe('byte offset 10 (line 2, column 4)')
})
