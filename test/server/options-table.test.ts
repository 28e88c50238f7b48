import { readFileSync } from 'node:fs'
import { Command } from 'commander'
import { describe, expect, test } from 'vitest'
import { addServeOptions, helpText } from '../../src/cli/serve-options.js'
import { loadConfig } from '../../src/server/config.js'
import { withOptionsTable } from '../../src/server/options-doc.js'
import { OPTIONS, type OptionSpec } from '../../src/server/options-table.js'

const SPECS = Object.entries(OPTIONS) as Array<[string, OptionSpec]>

function parseServe(args: string[]): Record<string, unknown> {
  const command = addServeOptions(new Command('serve').exitOverride())
  command.parse(args, { from: 'user' })
  return command.opts()
}

describe('the options table is the one definition', () => {
  test('docs/service.md holds the table as `npm run docs:options` generates it', () => {
    const doc = readFileSync(new URL('../../docs/service.md', import.meta.url), 'utf8')
    expect(withOptionsTable(doc), 'docs/service.md is stale: run `npm run docs:options`').toBe(doc)
  })

  test('every option with a flag is a `serve` flag whose help names its environment variables and default', () => {
    const command = addServeOptions(new Command('serve'))
    const help = command.helpInformation()
    for (const [, spec] of SPECS) {
      if (spec.cli === undefined) continue
      expect(help).toContain(spec.cli)
      const described = command.options.find((option) => option.flags === spec.cli)
      expect(described?.description).toBe(helpText(spec))
      for (const name of spec.env ?? []) expect(described?.description).toContain(name)
      expect(described?.description).toMatch(/default /)
    }
  })

  test('with nothing given, commander reports nothing, so every value is the default', () => {
    expect(parseServe([])).toEqual({})
    const config = loadConfig({ cli: parseServe([]), env: {} })
    for (const [name] of SPECS) expect(config.sources[name as keyof typeof OPTIONS]).toBe('default')
    expect(config.leaseMs).toBe(120_000)
    expect(config.perkvilleTimeoutMs).toBe(10_000)
  })

  test('flags parsed by commander reach the configuration under the table names', () => {
    const cli = parseServe([
      '--port',
      '1234',
      '--write-key',
      'key-a',
      '--write-key',
      'key-b',
      '--no-cap-refunds',
      '--lease',
      '30s',
      '--config',
      '/nonexistent/config.json',
    ])
    const { config, ...rest } = cli
    expect(config).toBe('/nonexistent/config.json')
    const loaded = loadConfig({ cli: rest, env: { PERKVILLE_DEDUP_WINDOW: '1h' } })
    expect(loaded).toMatchObject({
      port: 1234,
      writeKeys: ['key-a', 'key-b'],
      capRefunds: false,
      oneAwardPerOrder: true,
      leaseMs: 30_000,
      dedupWindowMs: 3_600_000,
    })
    expect(loaded.sources.capRefunds).toBe('--cap-refunds (command line)')
  })

  test('the storage thread option is gone', () => {
    expect(() => parseServe(['--storage-thread'])).toThrow(/unknown option/)
    expect(SPECS.some(([, spec]) => (spec.env ?? []).includes('PERKVILLE_STORAGE_THREAD'))).toBe(false)
  })
})
