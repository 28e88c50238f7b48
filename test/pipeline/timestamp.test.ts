import { expect, test } from 'vitest'
import { isIsoDateTime, MAX_FUTURE_TIMESTAMP_MS, settleTimestamp } from '../../src/pipeline/timestamp.js'

test('ISO 8601 date-times pass; other dates, words, numbers and impossible dates do not', () => {
  for (const ok of [
    '2026-11-30T09:15:00Z',
    '2026-11-30T09:15:00.123456Z',
    '2026-11-30T09:15+01:00',
    '2026-11-30 09:15:00',
    '2024-02-29T00:00:00-0500',
  ])
    expect(isIsoDateTime(ok), ok).toBe(true)
  for (const bad of [
    '2026-11-30',
    'yesterday',
    '30/11/2026 09:15',
    '2026-02-30T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-11-30T24:10:00Z',
    1764547200000,
    null,
    '',
  ])
    expect(isIsoDateTime(bad), String(bad)).toBe(false)
})

test('a missing timestamp becomes receivedAt silently; a bad one too, with what was given kept', () => {
  const at = '2026-12-01T10:00:00.000Z'
  const missing: Record<string, unknown> = {}
  settleTimestamp(missing, at)
  expect(missing).toEqual({ timestamp: at })
  const bad: Record<string, unknown> = { timestamp: 'soon' }
  settleTimestamp(bad, at)
  expect(bad).toEqual({
    timestamp: at,
    timestampReplaced: { given: 'soon', reason: expect.stringContaining('receivedAt') },
  })
})

test('a timestamp more than 24 hours after receipt is replaced, whatever zone it is written in', () => {
  const at = '2026-12-01T10:00:00.000Z'
  expect(MAX_FUTURE_TIMESTAMP_MS).toBe(86_400_000)
  const settled = (timestamp: string) => {
    const event: Record<string, unknown> = { timestamp }
    settleTimestamp(event, at)
    return event
  }
  for (const kept of [
    '2026-12-02T10:00:00Z',
    '2026-12-02T11:00:00+01:00',
    '2026-12-01T22:00:00', // no zone: read as the latest it can mean (UTC−12), 24 h ahead
    '2025-12-01T10:00:00Z',
  ])
    expect(settled(kept), kept).toEqual({ timestamp: kept })
  for (const ahead of [
    '2027-12-01T10:00:00Z',
    '2026-12-02T10:00:01Z',
    '2026-12-02T10:00:00-0100',
    '2026-12-01T22:00:01',
    '2026-12-02 05:00:01-05',
  ])
    expect(settled(ahead), ahead).toEqual({
      timestamp: at,
      timestampReplaced: {
        given: ahead,
        reason:
          'more than 24 hours after it was received: the receive time (receivedAt) was sent to Perkville instead',
      },
    })
})
