import { expect, test } from 'vitest'
import { isIsoDateTime, settleTimestamp } from '../../src/pipeline/timestamp.js'

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
