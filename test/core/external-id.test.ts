import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { canonicalJson, externalIdFor } from '../../src/core/index.js'
import { withoutNul } from '../../src/core/text-safe.js'
import { RUNS } from '../fixtures/property-runs.js'

describe('externalIdFor', () => {
  it('is the messageId when the event has one', () => {
    expect(externalIdFor({ messageId: 'm-1', event: 'x' })).toBe('m-1')
  })

  it('hashes canonical content otherwise, matching node:crypto sha256', () => {
    const event = { type: 'track', event: 'Checked In', properties: { b: 1, a: 'ü€😀' } }
    const want = createHash('sha256').update(canonicalJson(event), 'utf8').digest('hex').slice(0, 40)
    expect(externalIdFor(event)).toBe(`sha256-${want}`)
  })

  it('ignores key order and transport fields, but not content', () => {
    const a = { type: 'track', event: 'E', properties: { x: 1, y: [1, { p: 2, q: 3 }] } }
    const b = {
      properties: { y: [1, { q: 3, p: 2 }], x: 1 },
      event: 'E',
      type: 'track',
      sentAt: 'now',
      receivedAt: 1,
    }
    expect(externalIdFor(b)).toBe(externalIdFor(a))
    expect(externalIdFor({ ...a, event: 'F' })).not.toBe(externalIdFor(a))
    expect(externalIdFor({ ...a, messageId: '' })).toBe(externalIdFor(a))
  })

  it('differs when content differs: array order, nested values, timestamp, a nested receivedAt', () => {
    const base = { type: 'track', event: 'E', properties: { list: [1, 2] } }
    const id = externalIdFor(base)
    expect(externalIdFor({ ...base, properties: { list: [2, 1] } })).not.toBe(id)
    expect(externalIdFor({ ...base, timestamp: '2026-01-01T00:00:00Z' })).not.toBe(id)
    // Only the top-level transport fields are left out: a nested one is content.
    expect(externalIdFor({ ...base, properties: { list: [1, 2], receivedAt: 'x' } })).not.toBe(id)
  })

  it('canonical JSON sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: { d: 1, c: undefined, a: null }, a: [undefined, 'x'] })).toBe(
      '{"a":[null,"x"],"b":{"a":null,"d":1}}',
    )
  })

  it('hashes an over-long messageId to a bounded id', () => {
    const id = externalIdFor({ messageId: 'x'.repeat(500) })
    expect(id).toMatch(/^sha256-[0-9a-f]{40}$/)
  })

  it('is stable and well-formed for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const id = externalIdFor(value)
        expect(id).toBe(externalIdFor(JSON.parse(JSON.stringify(value))))
        expect(id.length).toBeLessThanOrEqual(100)
      }),
      RUNS,
    )
  })

  it('is the same for an event before and after U+0000 is replaced (what the service door does)', () => {
    const raw = { event: 'Order Completed', properties: { order_id: 'o\u00001', 'k\u0000': ['\u0000'] } }
    expect(externalIdFor(raw)).toBe(externalIdFor(withoutNul(raw)))
    expect(externalIdFor(raw)).not.toBe(externalIdFor({ ...raw, properties: { order_id: 'o1' } }))
    expect(externalIdFor({ messageId: 'a\u0000b' })).toBe('a\uFFFDb')
    const long = `${'x'.repeat(200)}\u0000`
    expect(externalIdFor({ messageId: long })).toBe(externalIdFor({ messageId: withoutNul(long) }))
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(externalIdFor(value)).toBe(externalIdFor(withoutNul(value)))
      }),
      RUNS,
    )
  })

  it('withoutNul returns the value itself when there is nothing to replace', () => {
    const clean = { a: ['x', { b: 1 }] }
    expect(withoutNul(clean)).toBe(clean)
    expect(withoutNul({ a: ['x', { 'b\u0000': 'c\u0000' }] })).toEqual({ a: ['x', { 'b\uFFFD': 'c\uFFFD' }] })
  })
})
