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
