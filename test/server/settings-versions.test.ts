import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { parseSettings } from '../../src/core/settings.js'
import { openSqliteStorage } from '../../src/pipeline/storage/sqlite.js'
import { SettingsVersions } from '../../src/server/settings-versions.js'
import { MAP, settingsFor } from '../pipeline/harness.js'

const logger = pino({ enabled: false })
const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

function store() {
  const dir = mkdtempSync(join(tmpdir(), 'settings-versions-'))
  const storage = openSqliteStorage({ path: join(dir, 'destination.db') })
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  cleanups.push(() => storage.close())
  return storage
}

describe('the version events decided under an older one are decided again from, at start', () => {
  it('stays at the oldest version deciding alike when a start brings only another API key', async () => {
    const storage = store()
    const first = await SettingsVersions.open(storage, settingsFor('key-a'), 'file', logger)
    expect(first).toMatchObject({ version: 1, decidesSince: 1 })
    const second = await SettingsVersions.open(storage, settingsFor('key-b'), 'file', logger)
    expect(second).toMatchObject({ version: 2, decidesSince: 1 })
    // Started again with the same file: the version in force is kept, and so is where it decides from.
    const again = await SettingsVersions.open(storage, settingsFor('key-b'), 'file', logger)
    expect(again).toMatchObject({ version: 2, decidesSince: 1 })
  })

  it('moves to a version that decides differently', async () => {
    const storage = store()
    await SettingsVersions.open(storage, settingsFor('key-a'), 'file', logger)
    const remapped = parseSettings({
      ...settingsFor('key-a'),
      eventToPerkMap: { ...MAP, 'Checked In': 3003 },
    })
    const second = await SettingsVersions.open(storage, remapped, 'file', logger)
    expect(second).toMatchObject({ version: 2, decidesSince: 2 })
    const third = await SettingsVersions.open(
      storage,
      parseSettings({ ...remapped, apiKey: 'key-b' }),
      'file',
      logger,
    )
    expect(third).toMatchObject({ version: 3, decidesSince: 2 })
  })
})

describe('instances sharing a store: where decisions start again comes from the stored versions', () => {
  const remap = (apiKey: string) =>
    parseSettings({ ...settingsFor(apiKey), eventToPerkMap: { ...MAP, 'Checked In': 3003 } })

  it('a start whose version lands after another instance’s, for the same settings, decides nothing again', async () => {
    const storage = store()
    await SettingsVersions.open(storage, settingsFor('key-a'), 'file', logger)
    // Another instance starting at the same moment records its version between this start's read
    // of the versions and its own append (the real store underneath, only the timing is arranged).
    let raced = false
    const racing = new Proxy(storage, {
      get(target, prop, receiver) {
        if (prop !== 'appendSettingsVersion') return Reflect.get(target, prop, receiver)
        return async (row: Parameters<typeof storage.appendSettingsVersion>[0]) => {
          if (!raced) {
            raced = true
            await target.appendSettingsVersion({ ...row, at: row.at - 1 })
          }
          return target.appendSettingsVersion(row)
        }
      },
    })
    const mine = await SettingsVersions.open(racing, settingsFor('key-b'), 'file', logger)
    expect(raced).toBe(true)
    // Version 2 is the other instance's, with the same key-b settings: all three decide alike.
    expect(mine).toMatchObject({ version: 3, decidesSince: 1 })
  })

  it('a refresh that takes up versions recorded by another instance passes the exact start on', async () => {
    const storage = store()
    const mine = await SettingsVersions.open(storage, settingsFor('key-a'), 'file', logger)
    const applied: Array<{ version: number; decidesSince: number }> = []
    mine.onChange(async (_settings, version, decidesSince) => {
      applied.push({ version, decidesSince })
    })
    // Two versions by another instance, only their API keys new: nothing decides differently.
    const other = await SettingsVersions.open(storage, settingsFor('key-b'), 'file', logger)
    await other.apply(settingsFor('key-c'), 'api')
    expect(await mine.refresh()).toBe(true)
    expect(applied).toEqual([{ version: 3, decidesSince: 1 }])
    // Then a remap and a key change after it: decisions start again at the remap.
    await other.apply(remap('key-c'), 'api')
    await other.apply(remap('key-d'), 'api')
    expect(await mine.refresh()).toBe(true)
    expect(applied.at(-1)).toEqual({ version: 5, decidesSince: 4 })
  })
})

describe('stored versions that cannot be applied', () => {
  it('a newer version another instance stored, that this one cannot apply, is not taken up', async () => {
    const storage = store()
    const versions = await SettingsVersions.open(storage, settingsFor('key-a'), 'file', logger)
    await storage.appendSettingsVersion({
      at: Date.now(),
      source: 'api',
      settings: JSON.stringify({ ...settingsFor('key-a'), apiKey: 'two words' }),
      changes: '[]',
    })
    expect(await versions.refresh()).toBe(false)
    expect(versions.version).toBe(1)
    expect(versions.settings.apiKey).toBe('key-a')
  })

  it('a start passes over them and writes the newest that applies again, keeping its source', async () => {
    const storage = store()
    await SettingsVersions.open(storage, settingsFor('key-a'), 'file', logger)
    const remapped = { ...settingsFor('key-a'), eventToPerkMap: { ...MAP, 'Checked In': 3003 } }
    const viaApi = await SettingsVersions.open(storage, settingsFor('key-a'), 'file', logger)
    await viaApi.apply(remapped, 'api')
    await storage.appendSettingsVersion({
      at: Date.now(),
      source: 'api',
      settings: 'not json',
      changes: '[]',
    })
    const opened = await SettingsVersions.open(storage, settingsFor('key-a'), 'file', logger)
    expect(opened.version).toBe(4)
    expect(opened.view()).toMatchObject({ source: 'api', problem: { versions: [3], fallback: 2 } })
    expect(opened.settings.eventToPerkMap['Checked In']).toBe('3003')
    // The next start sees the API's version in force again, not the file's.
    const next = await SettingsVersions.open(storage, settingsFor('key-a'), 'file', logger)
    expect(next.version).toBe(4)
    expect(next.view().problem).toBeUndefined()
  })
})
