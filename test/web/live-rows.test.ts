/** The live view's rows: every event its own row, an outcome updating the row of its event. */
import { describe, expect, test } from 'vitest'
import type { LiveEvent } from '../../src/pipeline/service-api.js'
import { addLive, LIVE_KEEP, type LiveRow } from '../../src/web/live-rows.js'

const base: LiveEvent = {
  id: null,
  receivedAt: '2026-01-01T00:00:00.000Z',
  status: 'pending',
  code: null,
  message: null,
  kind: 'event',
  eventName: 'Checked In',
  email: 'a@example.com',
  orderId: null,
  messageId: 'm-1',
  audienceKey: null,
  writeKeySource: null,
  userId: null,
  anonymousId: null,
  quantity: 1,
  perkId: '3001',
}
const refused = (messageId: string | null, email: string): LiveEvent => ({
  ...base,
  status: 'rejected',
  code: 'EVENT_NOT_ALLOWLISTED',
  kind: null,
  eventName: 'Product Viewed',
  messageId,
  email,
  quantity: null,
  perkId: null,
})

function feed(events: LiveEvent[], rows: LiveRow[] = []): LiveRow[] {
  let n = 0
  return addLive(rows, events, () => `k${++n}-${rows.length}`)
}

describe('addLive', () => {
  test('refused events, which carry no id, are each their own row', () => {
    const rows = feed([
      refused(null, 'one@example.com'),
      refused(null, 'two@example.com'),
      refused('same', 'three@example.com'),
      refused('same', 'four@example.com'),
    ])
    expect(rows.map((r) => r.event.email)).toEqual([
      'four@example.com',
      'three@example.com',
      'two@example.com',
      'one@example.com',
    ])
    expect(new Set(rows.map((r) => r.key)).size).toBe(4)
  })

  test('accepted events announced without an id are each their own row, refused ones between them', () => {
    const rows = feed([
      { ...base, messageId: 'a' },
      refused(null, 'r@example.com'),
      { ...base, messageId: 'b' },
    ])
    expect(rows.map((r) => r.event.messageId)).toEqual(['b', null, 'a'])
  })

  test("a delivery outcome replaces its event's row (tied by messageId), keeps the name, moves it up", () => {
    let n = 0
    const next = () => `k${++n}`
    let rows = addLive(
      [],
      [
        { ...base, messageId: 'a' },
        { ...base, messageId: 'b' },
      ],
      next,
    )
    rows = addLive(
      rows,
      [{ ...base, id: '17', messageId: 'a', status: 'delivered', eventName: null, kind: 'event' }],
      next,
    )
    expect(rows).toHaveLength(2)
    expect(rows[0]!.event).toMatchObject({ id: '17', status: 'delivered', eventName: 'Checked In' })
    expect(rows[1]!.event.messageId).toBe('b')
    // A later outcome of the same event (a retry) updates the same row again.
    rows = addLive(rows, [{ ...base, id: '17', messageId: 'a', status: 'failed', eventName: null }], next)
    expect(rows).toHaveLength(2)
    expect(rows[0]!.event.status).toBe('failed')
    // An outcome for an event the view never saw arrive is a row of its own.
    rows = addLive(rows, [{ ...base, id: '18', messageId: 'c', status: 'delivered' }], next)
    expect(rows.map((r) => r.event.id)).toEqual(['18', '17', null])
  })

  test('an outcome never updates a refused event or a duplicate with the same messageId', () => {
    let rows = feed([refused('m-1', 'r@example.com'), { ...base, duplicate: true }])
    rows = feed([{ ...base, id: '5', status: 'delivered' }], rows)
    expect(rows).toHaveLength(3)
    expect(rows.map((r) => r.event.status)).toEqual(['delivered', 'pending', 'rejected'])
  })

  test(`keeps the newest ${LIVE_KEEP}`, () => {
    const many = Array.from({ length: LIVE_KEEP + 50 }, (_, i) => refused(null, `${i}@example.com`))
    const rows = feed(many)
    expect(rows).toHaveLength(LIVE_KEEP)
    expect(rows[0]!.event.email).toBe(`${LIVE_KEEP + 49}@example.com`)
  })
})
