import { describe, expect, test } from 'vitest'
import {
  type Condition,
  conditionsOf,
  type Observation,
  type OpenAlert,
  transitionsOf,
} from '../../src/alerts/conditions.js'
import { alertMessage } from '../../src/alerts/message.js'
import { CALM, DEFAULT_THRESHOLDS } from './fixtures.js'

const MIN = 60_000
const T0 = Date.UTC(2026, 11, 7, 3, 0, 0)

const thresholds = DEFAULT_THRESHOLDS

const calm = CALM

const keys = (o: Partial<Observation>, now = T0) =>
  conditionsOf({ ...calm, ...o }, thresholds, now).map((c) => c.key)

describe('conditions', () => {
  test('a calm service has none', () => {
    expect(keys({})).toEqual([])
  })

  test('credentials rejected, counted by waiting events', () => {
    const [c] = conditionsOf(
      { ...calm, credentials: { rejected: true, since: T0 - MIN }, waiting: 7 },
      thresholds,
      T0,
    )
    expect(c).toMatchObject({ key: 'credentials_rejected', since: T0 - MIN, count: 7 })
    expect(keys({ credentials: { rejected: true, since: T0 } }, T0)).toEqual(['credentials_rejected'])
    const later = { ...thresholds, credentialsAfterMs: 5 * MIN }
    expect(conditionsOf({ ...calm, credentials: { rejected: true, since: T0 - MIN } }, later, T0)).toEqual([])
  })

  test('parked events: one alert per reason at the threshold', () => {
    const parked = [
      { reason: 'unknown_location', count: 3 },
      { reason: 'unknown_perk', count: 1 },
    ]
    expect(keys({ parked })).toEqual(['events_parked:unknown_location', 'events_parked:unknown_perk'])
    expect(conditionsOf({ ...calm, parked }, { ...thresholds, parkedMin: 2 }, T0).map((c) => c.key)).toEqual([
      'events_parked:unknown_location',
    ])
    expect(conditionsOf({ ...calm, parked }, { ...thresholds, parkedMin: 0 }, T0)).toEqual([])
  })

  test('first-try deliverability under 90 % needs at least 20 sent', () => {
    expect(keys({ window: { sent: 20, firstTry: 17 } })).toEqual(['delivery_failing'])
    expect(keys({ window: { sent: 20, firstTry: 18 } })).toEqual([])
    expect(keys({ window: { sent: 19, firstTry: 0 } })).toEqual([])
  })

  test('nothing delivered for 10 minutes while events wait that long', () => {
    const waiting = { oldestWaitingAt: T0 - 11 * MIN }
    expect(keys({ ...waiting, lastDeliveredAt: T0 - 11 * MIN })).toEqual(['delivery_failing'])
    expect(keys({ ...waiting, lastDeliveredAt: T0 - 9 * MIN })).toEqual([])
    // Events that arrived a minute ago after an hour without traffic are no stall.
    expect(keys({ oldestWaitingAt: T0 - MIN, lastDeliveredAt: T0 - 60 * MIN })).toEqual([])
  })

  test('the oldest waiting event past 15 minutes', () => {
    expect(keys({ oldestWaitingAt: T0 - 15 * MIN, lastDeliveredAt: T0 })).toEqual(['queue_stale'])
    expect(keys({ oldestWaitingAt: T0 - 14 * MIN, lastDeliveredAt: T0 })).toEqual([])
  })

  test('storage unavailable for its threshold', () => {
    expect(keys({ storageProblemSince: T0 - 30_000 })).toEqual(['storage_unavailable'])
    expect(keys({ storageProblemSince: T0 - 29_000 })).toEqual([])
  })

  test('a failing settings check names its first failed item and how many more', () => {
    const [c] = conditionsOf(
      { ...calm, settingsCheck: { failed: ['token', 'business 1001', 'location 2001'], checkedAt: T0 } },
      thresholds,
      T0,
    )
    expect(c).toMatchObject({ reason: 'token and 2 more', count: 3 })
  })

  test('a failing settings check, unless turned off', () => {
    const settingsCheck = { failed: ['location'], checkedAt: T0 }
    expect(keys({ settingsCheck })).toEqual(['settings_check_failed'])
    expect(conditionsOf({ ...calm, settingsCheck }, { ...thresholds, settingsCheck: false }, T0)).toEqual([])
  })

  test('a surge of one refusal code', () => {
    const refusals = [
      { code: 'EVENT_NOT_ALLOWLISTED', count: 50 },
      { code: 'MISSING_EMAIL', count: 49 },
    ]
    expect(keys({ refusals })).toEqual(['refusal_surge:EVENT_NOT_ALLOWLISTED'])
  })
})

describe('transitions', () => {
  const credentials: Condition = {
    key: 'credentials_rejected',
    alert: 'credentials_rejected',
    since: T0,
    count: 3,
    reason: 'credentials rejected',
  }
  const open: OpenAlert = { id: '1', ...credentials, notifiedAt: T0 }

  test('a new condition fires, a continuing one is only seen, a cleared one resolves', () => {
    expect(transitionsOf([], [credentials], T0, thresholds.remindAfterMs)).toEqual([
      { kind: 'fire', condition: credentials },
    ])
    expect(transitionsOf([open], [credentials], T0 + 60 * MIN, thresholds.remindAfterMs)).toEqual([
      { kind: 'seen', open, condition: credentials },
    ])
    expect(transitionsOf([open], [], T0 + MIN, thresholds.remindAfterMs)).toEqual([{ kind: 'resolve', open }])
  })

  test('a reminder only after the reminder time', () => {
    const remind = thresholds.remindAfterMs
    expect(transitionsOf([open], [credentials], T0 + remind - 1, remind)[0]!.kind).toBe('seen')
    expect(transitionsOf([open], [credentials], T0 + remind, remind)[0]!.kind).toBe('remind')
  })

  test('an hour of the same observation every 30 s fires once', () => {
    let book: OpenAlert[] = []
    const sent: string[] = []
    for (let now = T0; now < T0 + 60 * MIN; now += 30_000) {
      const holding = conditionsOf(
        { ...calm, credentials: { rejected: true, since: T0 }, waiting: 2 },
        thresholds,
        now,
      )
      for (const t of transitionsOf(book, holding, now, thresholds.remindAfterMs)) {
        if (t.kind === 'fire') {
          sent.push('fire')
          book = [{ id: String(book.length + 1), ...t.condition, notifiedAt: now }]
        } else if (t.kind === 'remind' || t.kind === 'resolve') sent.push(t.kind)
      }
    }
    expect(sent).toEqual(['fire'])
  })
})

describe('the message', () => {
  test('says how many in words that fit each alert', () => {
    const text = (alert: Parameters<typeof alertMessage>[0]['alert'], count: number, reason: string) =>
      alertMessage({ alert, since: T0, count, reason }, 'firing', { consoleUrl: 'http://x', now: T0 }).text
    expect(text('delivery_failing', 12, 'nothing delivered')).toContain('; 12 minutes without a delivery;')
    expect(text('delivery_failing', 5, 'first-try deliverability 75%')).toContain(
      '; 5 events not delivered on the first try;',
    )
    expect(text('queue_stale', 1, 'oldest waiting event')).toContain('; waiting 1 minute;')
    expect(text('credentials_rejected', 1, 'credentials rejected')).toContain('; 1 event waiting;')
    expect(text('refusal_surge', 50, 'EVENT_NOT_ALLOWLISTED')).toContain('(EVENT_NOT_ALLOWLISTED)')
  })

  test('one line of text with what, since, how many, what to do and the console link; no secret', () => {
    const m = alertMessage(
      { alert: 'events_parked', since: T0, count: 4, reason: 'unknown_location' },
      'firing',
      { consoleUrl: 'http://127.0.0.1:8080/', now: T0 },
    )
    expect(m).toMatchObject({
      alert: 'events_parked',
      state: 'firing',
      since: '2026-12-07T03:00:00.000Z',
      count: 4,
      reason: 'unknown_location',
      consoleUrl: 'http://127.0.0.1:8080/#/events?status=parked',
    })
    expect(m.text).not.toContain('\n')
    expect(m.text).toContain('FIRING events_parked')
    expect(m.text).toContain('since 2026-12-07T03:00:00.000Z')
    expect(m.text).toContain('4 events parked')
    expect(m.text).toContain('what to do:')
    expect(m.text).toContain('http://127.0.0.1:8080/#/events?status=parked')
    const resolved = alertMessage(
      { alert: 'events_parked', since: T0, count: 4, reason: 'unknown_location' },
      'resolved',
      { consoleUrl: 'http://127.0.0.1:8080', now: T0 + MIN },
    )
    expect(resolved.state).toBe('resolved')
    expect(resolved.text).toContain('cleared at 2026-12-07T03:01:00.000Z')
  })
})
