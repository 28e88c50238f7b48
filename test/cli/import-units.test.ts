/** The import command's pure parts: ids, timestamps, batches, the checkpoint. */
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { Batcher, batchBody, halves, lastLine } from '../../src/cli/import/batches.js'
import { Checkpoint } from '../../src/cli/import/checkpoint.js'
import { isoTimestamp, loadMapping, MappingError, rowToEvent } from '../../src/cli/import/mapping.js'
import { MessageIds } from '../../src/cli/import/message-id.js'
import { REQUEST_LIMIT_BYTES } from '../../src/server/limits.js'
import { removeDir, tempDir } from '../service/helpers.js'

describe('derived messageIds', () => {
  const event = () => ({ type: 'track', event: 'Checked In', userId: 'u1', properties: { email: 'a@b.co' } })

  test('the same content gets the same id in another run, whatever the key order or transport fields', () => {
    const a = new MessageIds('import').assign(event())
    const reordered = { properties: { email: 'a@b.co' }, userId: 'u1', event: 'Checked In', type: 'track' }
    const b = new MessageIds('import').assign({ ...reordered, sentAt: '2025-01-01T00:00:00Z', writeKey: 'k' })
    expect(a).toMatch(/^imp-[0-9a-f]{40}$/)
    expect(b).toBe(a)
  })

  test('identical events in one input stay distinct; appending rows changes no earlier id', () => {
    const ids = new MessageIds('import')
    const first = [event(), event(), { ...event(), userId: 'u2' }].map((e) => ids.assign(e))
    expect(new Set(first).size).toBe(3)
    const again = new MessageIds('import')
    const second = [event(), event(), { ...event(), userId: 'u2' }, { ...event(), userId: 'u3' }].map((e) =>
      again.assign(e),
    )
    expect(second.slice(0, 3)).toEqual(first)
  })

  test('the source is part of the id; an event with its own messageId keeps it', () => {
    expect(new MessageIds('shop-a').assign(event())).not.toBe(new MessageIds('shop-b').assign(event()))
    const own = { ...event(), messageId: 'm-1' }
    expect(new MessageIds('import').assign(own)).toBe('m-1')
    const blank = { ...event(), messageId: '  ' }
    expect(new MessageIds('import').assign(blank)).toBe(new MessageIds('import').assign(event()))
  })
})

describe('CSV rows', () => {
  test('timestamps: ISO forms normalised to UTC; no zone means UTC; anything else is refused', () => {
    expect(isoTimestamp('2024-03-05')).toBe('2024-03-05T00:00:00.000Z')
    expect(isoTimestamp('2024-03-05 14:22:01')).toBe('2024-03-05T14:22:01.000Z')
    expect(isoTimestamp('2024-03-05T14:22:01-05:00')).toBe('2024-03-05T19:22:01.000Z')
    expect(isoTimestamp('2024-03-05 14:22:01 +0100')).toBe('2024-03-05T13:22:01.000Z')
    expect(isoTimestamp('2024-03-05T14:22:01.5Z')).toBe('2024-03-05T14:22:01.500Z')
    expect(isoTimestamp('03/05/2024')).toBeNull()
    expect(isoTimestamp('2024-13-45')).toBeNull()
    // Impossible dates and times are refused, never rolled over (2025-02-30 is not 2025-03-02).
    expect(isoTimestamp('2025-02-30')).toBeNull()
    expect(isoTimestamp('2025-02-29 10:00:00')).toBeNull()
    expect(isoTimestamp('2024-02-29')).toBe('2024-02-29T00:00:00.000Z')
    expect(isoTimestamp('2025-04-31T10:00:00Z')).toBeNull()
    expect(isoTimestamp('2025-04-30 24:00')).toBeNull()
    expect(isoTimestamp('2025-04-30 23:60')).toBeNull()
    expect(isoTimestamp('2025-04-30 23:59:60')).toBeNull()
    expect(isoTimestamp('2025-04-30 10:00 +25:00')).toBeNull()
  })

  test('a negative amount marks a refund when asked; refundAmount takes the refunded column', () => {
    const m = loadMapping(undefined, [
      'event=Order Completed',
      'email=e',
      'orderId=o',
      'revenue=t',
      'refundWhenNegative=true',
      'refundEvent=Order Refunded',
      'refundAmount=r',
    ])
    expect(rowToEvent(m, { e: 'a@b.co', o: '7', t: '-3.50', r: '' })).toEqual({
      event: {
        type: 'track',
        event: 'Order Refunded',
        userId: 'a@b.co',
        properties: { email: 'a@b.co', order_id: '7', revenue: '-3.50' },
      },
    })
    expect(rowToEvent(m, { e: 'a@b.co', o: '7', t: '-3.50', r: '2' })).toMatchObject({
      event: { event: 'Order Refunded', properties: { revenue: '2' } },
    })
    expect(() => loadMapping(undefined, ['email=e', 'event=X', 'colour=red'])).toThrow(MappingError)
  })
})

describe('batches', () => {
  const item = (line: number, bytes: number) => ({ line, json: `"${'x'.repeat(bytes - 2)}"`, bytes })

  test('at most maxEvents events and 500 KB per request; never across inputs; spans cover the gaps', () => {
    const batcher = new Batcher(3)
    const done = [
      batcher.add(0, item(1, 10)),
      batcher.add(0, item(2, 10)),
      batcher.add(0, item(5, 10)),
      batcher.add(0, item(6, 10)),
      batcher.add(1, item(1, 10)),
    ].filter((b) => b !== null)
    expect(done.map((b) => [b.input, b.spanStart, lastLine(b), b.items.length])).toEqual([
      [0, 1, 5, 3],
      [0, 6, 6, 1],
    ])
    const big = new Batcher(2500)
    const full = []
    for (let line = 1; line <= 40; line++) {
      const b = big.add(0, item(line, 30_000))
      if (b) full.push(b)
    }
    for (const b of full) expect(Buffer.byteLength(batchBody(b))).toBeLessThanOrEqual(REQUEST_LIMIT_BYTES)
    expect(full[0]!.items.length).toBe(17)
    expect(Buffer.byteLength(batchBody(full[0]!))).toBeLessThanOrEqual(full[0]!.bytes)
  })

  test('halves keep the spans contiguous', () => {
    const batcher = new Batcher(4)
    for (const line of [3, 4, 8]) batcher.add(0, item(line, 10))
    const batch = batcher.add(0, item(9, 10)) ?? batcher.flush()!
    const [a, b] = halves(batch)!
    expect([a.spanStart, lastLine(a), b.spanStart, lastLine(b)]).toEqual([1, 4, 5, 9])
    expect(halves({ ...a, items: a.items.slice(0, 1) })).toBeNull()
  })
})

describe('checkpoint', () => {
  test('ranges merge, survive a save, and are ignored when the input changed', () => {
    const dir = tempDir('perkville-checkpoint-')
    try {
      const path = join(dir, 'cp.json')
      const input = { path: '/x.csv', size: 10, sha256: 'aa' }
      const { checkpoint, resumed } = Checkpoint.open(path, 'k', [input])
      expect(resumed).toBe(false)
      checkpoint.add(0, 11, 20)
      checkpoint.add(0, 1, 5)
      checkpoint.add(0, 6, 10)
      checkpoint.add(0, 30, 31)
      checkpoint.save()
      const again = Checkpoint.open(path, 'k', [input])
      expect(again.resumed).toBe(true)
      for (const line of [1, 10, 20, 30, 31]) expect(again.checkpoint.has(0, line)).toBe(true)
      for (const line of [0, 21, 29, 32]) expect(again.checkpoint.has(0, line)).toBe(false)
      const changed = Checkpoint.open(path, 'k', [{ ...input, sha256: 'bb' }])
      expect(changed.resumed).toBe(false)
      expect(changed.note).toMatch(/changed since checkpoint/)
      expect(changed.checkpoint.has(0, 1)).toBe(false)
      expect(Checkpoint.open(path, 'other mapping', [input]).resumed).toBe(false)
    } finally {
      removeDir(dir)
    }
  })
})
