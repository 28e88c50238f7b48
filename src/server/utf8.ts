import { isUtf8 } from 'node:buffer'

/**
 * Where the first byte that is not valid UTF-8 is, or -1 when all of `bytes` is valid. Decoding would
 * otherwise replace such bytes by U+FFFD silently and deliver an altered email or id. The fast check
 * runs first; the walk only runs to say where.
 */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  if (isUtf8(bytes)) return -1
  let i = 0
  while (i < bytes.length) {
    const b = bytes[i]!
    const length =
      b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0
    if (length === 0 || i + length > bytes.length) return i
    for (let k = 1; k < length; k++) {
      const c = bytes[i + k]!
      // The second byte's range is narrower for some leads: no overlong forms, no surrogates, nothing past U+10FFFF.
      const low = k === 1 && b === 0xe0 ? 0xa0 : k === 1 && b === 0xf0 ? 0x90 : 0x80
      const high = k === 1 && b === 0xed ? 0x9f : k === 1 && b === 0xf4 ? 0x8f : 0xbf
      if (c < low || c > high) return i
    }
    i += length
  }
  return -1
}

/** "byte offset N (line L, column C)" for the first invalid byte; lines and columns count the valid text before it. */
export function describeInvalidUtf8(bytes: Buffer, offset: number): string {
  const before = bytes.subarray(0, offset).toString('utf8')
  const lastBreak = before.lastIndexOf('\n')
  let line = 1
  for (let i = 0; i < before.length; i++) if (before.charCodeAt(i) === 10) line++
  return `byte offset ${offset} (line ${line}, column ${before.length - lastBreak})`
}
