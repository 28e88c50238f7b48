import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { decidesAlike, parseSettings } from '../../src/core/settings.js'
import type { PerkvilleClient } from '../../src/perkville/client-api.js'
import { Destination } from '../../src/pipeline/destination.js'
import { MAP, settingsFor } from './harness.js'

const client = { close: async () => {} } as unknown as PerkvilleClient
const remapped = parseSettings({ ...settingsFor('key-a'), eventToPerkMap: { ...MAP, 'Checked In': 3003 } })

function destination(version = 4, decidesSince = 2) {
  return new Destination(
    settingsFor('key-a'),
    version,
    client,
    () => client,
    pino({ enabled: false }),
    decidesSince,
  )
}

describe('which settings versions decide events again', () => {
  it('counts all but the API key', () => {
    expect(decidesAlike(settingsFor('key-a'), settingsFor('key-b'))).toBe(true)
    expect(decidesAlike(settingsFor('key-a'), remapped)).toBe(false)
    expect(decidesAlike(settingsFor('key-a'), { ...settingsFor('key-a'), sendEmail: true })).toBe(false)
  })

  it('keeps the oldest alike version across a change of the API key alone', async () => {
    const d = destination()
    d.update(settingsFor('key-b'), 5)
    expect(d).toMatchObject({ version: 5, decidesSince: 2 })
    await d.close()
  })

  it('starts again at a version that decides differently, or one that skipped another', async () => {
    const d = destination()
    d.update(remapped, 5)
    expect(d).toMatchObject({ version: 5, decidesSince: 5 })
    d.update(settingsFor('key-a'), 6)
    expect(d.decidesSince).toBe(6)
    d.update(settingsFor('key-b'), 8)
    expect(d).toMatchObject({ version: 8, decidesSince: 8 })
    await d.close()
  })
})
