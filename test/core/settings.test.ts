import { describe, expect, it } from 'vitest'
import { parseSettings, parseSettingsJson, redactSettings, SettingsError } from '../../src/core/index.js'
import { describeSettingsChange } from '../../src/core/settings-diff.js'

const KEY = 'pk_live_very_secret_token_value'
const valid = { apiKey: KEY, businessId: '1001', locationId: 2001, eventToPerkMap: { A: 1 } }

function problems(input: unknown): string[] {
  try {
    parseSettings(input)
  } catch (err) {
    expect(err).toBeInstanceOf(SettingsError)
    const messages = (err as SettingsError).problems
    for (const m of messages) expect(m).not.toContain(KEY)
    expect((err as Error).message).not.toContain(KEY)
    return messages
  }
  throw new Error('expected a SettingsError')
}

describe('settings', () => {
  it('normalises ids to decimal strings, trims map keys, defaults sendEmail to false', () => {
    const s = parseSettings({
      apiKey: KEY,
      businessId: 1001,
      locationId: ' 0042 ',
      eventToPerkMap: { ' Order Completed ': 3002, 'Checked In': '3001' },
    })
    expect(s.businessId).toBe('1001')
    expect(s.locationId).toBe('42')
    expect({ ...s.eventToPerkMap }).toEqual({ 'Order Completed': '3002', 'Checked In': '3001' })
    expect(s.sendEmail).toBe(false)
    expect(s.apiKey).toBe(KEY)
  })

  it('defaults a missing or null map to empty and keeps inner spacing and case of keys', () => {
    expect({ ...parseSettings({ ...valid, eventToPerkMap: undefined }).eventToPerkMap }).toEqual({})
    expect({ ...parseSettings({ ...valid, eventToPerkMap: null }).eventToPerkMap }).toEqual({})
    const s = parseSettings({ ...valid, eventToPerkMap: { 'Order  Completed': 1, order: 2 } })
    expect(Object.keys(s.eventToPerkMap).sort()).toEqual(['Order  Completed', 'order'])
  })

  it('trims the whitespace copy-paste adds around a token', () => {
    expect(parseSettings({ ...valid, apiKey: ` ${KEY}\n` }).apiKey).toBe(KEY)
  })

  it('keeps sendEmail true', () => {
    expect(parseSettings({ ...valid, sendEmail: true }).sendEmail).toBe(true)
  })

  it.each([
    [{ ...valid, apiKey: undefined }, 'apiKey'],
    [{ ...valid, apiKey: '' }, 'apiKey'],
    [{ ...valid, apiKey: '   ' }, 'apiKey'],
    [{ ...valid, apiKey: 42 }, 'apiKey'],
    [{ ...valid, apiKey: `${KEY} x` }, 'apiKey has characters a bearer token cannot have'],
    [{ ...valid, apiKey: `"${KEY}"` }, 'apiKey has characters a bearer token cannot have'],
    [{ ...valid, apiKey: `${KEY}\nx` }, 'apiKey has characters a bearer token cannot have'],
    [{ ...valid, businessId: undefined }, 'businessId'],
    [{ ...valid, businessId: 0 }, 'businessId'],
    [{ ...valid, businessId: -5 }, 'businessId'],
    [{ ...valid, businessId: 1.5 }, 'businessId'],
    [{ ...valid, businessId: '12a' }, 'businessId'],
    [{ ...valid, businessId: '-1' }, 'businessId'],
    [{ ...valid, businessId: '0' }, 'businessId'],
    [{ ...valid, businessId: '' }, 'businessId'],
    [{ ...valid, locationId: null }, 'locationId'],
    [{ ...valid, locationId: true }, 'locationId'],
    [{ ...valid, eventToPerkMap: [] }, 'eventToPerkMap'],
    [{ ...valid, eventToPerkMap: 'A' }, 'eventToPerkMap'],
    [{ ...valid, eventToPerkMap: { '  ': 1 } }, 'empty event name'],
    [{ ...valid, eventToPerkMap: { A: 0 } }, 'eventToPerkMap["A"]'],
    [{ ...valid, eventToPerkMap: { A: 'x' } }, 'eventToPerkMap["A"]'],
    [{ ...valid, eventToPerkMap: { A: 1, ' A': 2 } }, 'twice'],
    [{ ...valid, sendEmail: 'yes' }, 'sendEmail'],
  ])('refuses %j naming %s, never echoing the key', (input, name) => {
    const found = problems(input)
    expect(found.join('\n')).toContain(name)
  })

  it('accepts the same perk reached by two keys that trim alike', () => {
    expect(parseSettings({ ...valid, eventToPerkMap: { A: 1, ' A ': '1' } }).eventToPerkMap.A).toBe('1')
  })

  it('reports every problem at once', () => {
    const found = problems({ apiKey: '', businessId: 'x', locationId: 0 })
    expect(found).toHaveLength(3)
  })

  it('refuses a non-object and a non-JSON file with a clear message', () => {
    expect(problems([])[0]).toContain('JSON object')
    expect(() => parseSettingsJson('{', 'settings.json')).toThrow(/settings.json is not valid JSON/)
  })

  it('redacts the key for display', () => {
    const shown = JSON.stringify(redactSettings(parseSettings(valid)))
    expect(shown).not.toContain(KEY)
    expect(shown).toContain('"businessId":"1001"')
  })

  it('treats a user-provided "__proto__" or "constructor" key as plain data', () => {
    const s = parseSettingsJson(
      `{"apiKey":"k","businessId":1,"locationId":1,"eventToPerkMap":{"__proto__":7,"constructor":8}}`,
    )
    expect(Object.hasOwn(s.eventToPerkMap, '__proto__')).toBe(true)
    expect(Object.getOwnPropertyDescriptor(s.eventToPerkMap, '__proto__')?.value).toBe('7')
    expect(s.eventToPerkMap.constructor).toBe('8')
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})

describe('oncePerDayEvents', () => {
  it('defaults to an empty list and trims each name like the map keys (a repeat counts once)', () => {
    expect(parseSettings(valid).oncePerDayEvents).toEqual([])
    expect(parseSettings({ ...valid, oncePerDayEvents: null }).oncePerDayEvents).toEqual([])
    const s = parseSettings({
      ...valid,
      eventToPerkMap: { ' Checked In ': 3001, A: 1 },
      oncePerDayEvents: ['Checked In ', ' Checked In'],
    })
    expect(s.oncePerDayEvents).toEqual(['Checked In'])
  })

  it('refuses a name that is not a key of eventToPerkMap, naming the entry', () => {
    expect(problems({ ...valid, oncePerDayEvents: ['A', 'Checked  In'] })).toEqual([
      'oncePerDayEvents has "Checked  In", which is not a key of eventToPerkMap (only mapped events are awarded)',
    ])
  })

  it('refuses a non-list and a bad entry, naming its position', () => {
    expect(problems({ ...valid, oncePerDayEvents: 'A' })).toEqual([
      'oncePerDayEvents must be a list of event names, got "A"',
    ])
    expect(problems({ ...valid, oncePerDayEvents: ['A', 7, '  '] })).toEqual([
      'oncePerDayEvents[1] must be a non-empty event name, got 7',
      'oncePerDayEvents[2] must be a non-empty event name, got "  "',
    ])
  })

  it('is checked against the map even when another setting is bad, so every problem is told at once', () => {
    expect(problems({ ...valid, businessId: 0, oncePerDayEvents: ['B'] })).toEqual([
      'businessId must be a positive integer, got 0',
      'oncePerDayEvents has "B", which is not a key of eventToPerkMap (only mapped events are awarded)',
    ])
  })

  it('is kept by redactSettings as a copy', () => {
    const s = parseSettings({ ...valid, oncePerDayEvents: ['A'] })
    const shown = redactSettings(s)
    expect(shown.oncePerDayEvents).toEqual(['A'])
    expect(shown.oncePerDayEvents).not.toBe(s.oncePerDayEvents)
  })
})

describe('describeSettingsChange', () => {
  it('names once-per-day events added and removed', () => {
    const before = parseSettings({ ...valid, eventToPerkMap: { A: 1, B: 2 }, oncePerDayEvents: ['A'] })
    const after = parseSettings({ ...valid, eventToPerkMap: { A: 1, B: 2 }, oncePerDayEvents: ['B'] })
    expect(describeSettingsChange(before, after)).toEqual([
      'oncePerDayEvents "B" added',
      'oncePerDayEvents "A" removed',
    ])
    expect(describeSettingsChange(before, before)).toEqual([])
  })
})
