import { describe } from 'vitest'
import { liveSettingsScenarios } from './live-settings.js'

describe('settings that change safely (serve on SQLite)', () => {
  liveSettingsScenarios(async () => [])
})
