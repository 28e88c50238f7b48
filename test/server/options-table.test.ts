import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import { describe, expect, test } from 'vitest'
import { addServeOptions, helpText } from '../../src/cli/serve-options.js'
import { loadConfig } from '../../src/server/config.js'
import { withOptionsTable } from '../../src/server/options-doc.js'
import { OPTIONS, type OptionSpec } from '../../src/server/options-table.js'
import { configProblems } from './config-problems.js'

const SPECS = Object.entries(OPTIONS) as Array<[string, OptionSpec]>

function parseServe(args: string[]): Record<string, unknown> {
  const command = addServeOptions(
    new Command('serve').exitOverride().configureOutput({ writeErr: () => undefined }),
  )
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

describe('one start reports every problem', () => {
  test('option problems and settings problems come together, each with its source', () => {
    const dir = mkdtempSync(join(tmpdir(), 'perkville-options-'))
    try {
      const settings = join(dir, 'settings.json')
      writeFileSync(
        settings,
        JSON.stringify({ apiKey: 'a-secret-api-key-123', businessId: 'abc', locationId: 1 }),
      )
      const found = configProblems(
        { concurrency: '0', settings, perkvilleUrl: 'http://127.0.0.1:9/v2/' },
        { PERKVILLE_LEASE: 'soon' },
      )
      expect(found).toEqual([
        expect.stringMatching(/^--concurrency \(command line\): must be an integer/),
        expect.stringMatching(/^PERKVILLE_LEASE \(environment\): must be a duration/),
        expect.stringMatching(/^--settings \(command line\): businessId must be a positive integer/),
      ])
      expect(found.join('\n')).not.toContain('a-secret-api-key-123')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('the mode is chosen with the configuration, and a contradiction is one more problem', () => {
    expect(loadConfig({ cli: {}, env: {} }).mode).toBe('embedded-sandbox')
    expect(configProblems({ sandbox: true, perkvilleUrl: 'http://127.0.0.1:9/v2/', port: 'x' })).toEqual([
      expect.stringMatching(/^--port \(command line\)/),
      '--sandbox (command line) and --perkville-url (command line) contradict each other; give one',
    ])
    expect(configProblems({ perkvilleUrl: 'http://127.0.0.1:9/v2/' })).toEqual([
      '--perkville-url needs --settings (or settings in the config file) with the apiKey',
    ])
  })
})
