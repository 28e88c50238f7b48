import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { loadConfig } from '../../src/server/config.js'
import { formatDuration, parseDuration } from '../../src/server/duration.js'
import { removeDir, tempDir } from '../service/helpers.js'
import { configProblems as problems } from './config-problems.js'

const dir = tempDir('perkville-config-')
afterAll(() => removeDir(dir))

function configFile(content: unknown): string {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`)
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
  return path
}

describe('durations', () => {
  test.each([
    ['4h', 14_400_000],
    ['7d', 604_800_000],
    ['30m', 1_800_000],
    ['1.5h', 5_400_000],
    ['250ms', 250],
    ['10s', 10_000],
    ['1500', 1500],
    [2000, 2000],
  ])('%s is %d ms', (input, ms) => expect(parseDuration(input)).toBe(ms))
  test.each(['soon', '-1h', '4 hours', '', '1y'])('%s is not a duration', (input) =>
    expect(parseDuration(input)).toBeNull(),
  )
  test('formatting picks the largest exact unit', () => {
    expect([formatDuration(14_400_000), formatDuration(90_000), formatDuration(1500)]).toEqual([
      '4h',
      '90s',
      '1500ms',
    ])
  })
})

describe('sources and precedence', () => {
  test('defaults with nothing configured', () => {
    const config = loadConfig({ cli: {}, env: {} })
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      dataDir: './data',
      writeKeys: [],
      adminToken: null,
      sandbox: false,
      concurrency: 32,
      retryForMs: 4 * 3_600_000,
      dedupWindowMs: 7 * 86_400_000,
      retentionMs: 30 * 86_400_000,
      oneAwardPerOrder: true,
      capRefunds: true,
      logLevel: 'info',
    })
  })

  test('command line beats environment beats config file beats default, option by option', () => {
    const file = configFile({
      port: 1111,
      host: '0.0.0.0',
      concurrency: 4,
      retryFor: '2h',
      orderRules: { capRefunds: false },
    })
    const config = loadConfig({
      cli: { config: file, port: '3333' },
      env: { PERKVILLE_PORT: '2222', PERKVILLE_CONCURRENCY: '8', PORT: '9999' },
    })
    expect(config.port).toBe(3333)
    expect(config.concurrency).toBe(8)
    expect(config.host).toBe('0.0.0.0')
    expect(config.retryForMs).toBe(7_200_000)
    expect(config.capRefunds).toBe(false)
    expect(config.oneAwardPerOrder).toBe(true)
    expect(config.sources.port).toBe('--port (command line)')
    expect(config.sources.concurrency).toBe('PERKVILLE_CONCURRENCY (environment)')
    expect(config.sources.host).toMatch(/^host \(config file /)
  })

  test('PORT is honoured when PERKVILLE_PORT is not set; write keys come comma-separated from the environment', () => {
    const config = loadConfig({
      cli: {},
      env: { PORT: '4321', PERKVILLE_WRITE_KEYS: 'key-one, key-two,,key-one' },
    })
    expect(config.port).toBe(4321)
    expect(config.writeKeys).toEqual(['key-one', 'key-two'])
  })

  test('repeated --write-key and the order-rule switches from the command line', () => {
    const config = loadConfig({
      cli: { writeKey: ['a-key', 'b-key'], oneAwardPerOrder: false, capRefunds: false, dedupWindow: '1h' },
      env: { PERKVILLE_ONE_AWARD_PER_ORDER: 'true' },
    })
    expect(config.writeKeys).toEqual(['a-key', 'b-key'])
    expect(config.oneAwardPerOrder).toBe(false)
    expect(config.capRefunds).toBe(false)
    expect(config.dedupWindowMs).toBe(3_600_000)
  })
})

describe('validation messages', () => {
  test('each problem names the option and where it came from; all problems are listed at once', () => {
    const found = problems(
      { port: 'eighty', concurrency: '0' },
      { PERKVILLE_RETRY_FOR: 'forever', PERKVILLE_LOG_LEVEL: 'loud', PERKVILLE_SANDBOX: 'maybe' },
    )
    expect(found).toEqual([
      '--port (command line): must be an integer from 0 to 65535, got "eighty"',
      'PERKVILLE_SANDBOX (environment): must be true or false, got "maybe"',
      '--concurrency (command line): must be an integer from 1 to 1024, got "0"',
      expect.stringMatching(/^PERKVILLE_RETRY_FOR \(environment\): must be a duration .*got "forever"$/),
      expect.stringMatching(/^PERKVILLE_LOG_LEVEL \(environment\): must be one of .*got "loud"$/),
    ])
  })

  test('secrets are never repeated in a message', () => {
    const secret = 'short s3cret'
    const found = problems(
      { adminToken: secret, writeKey: ['has:colon-secret'] },
      { PERKVILLE_WEBHOOK_SECRET: '' },
    )
    const text = found.join('\n')
    expect(text).toContain('--admin-token (command line)')
    expect(text).toContain('--write-key (command line)')
    expect(text).not.toContain(secret)
    expect(text).not.toContain('colon-secret')
  })

  test('config file problems: unreadable, not JSON (without quoting it), unknown options, bad values', () => {
    expect(problems({ config: join(dir, 'missing.json') })[0]).toMatch(
      /^--config: cannot read config file .*ENOENT/,
    )
    const broken = configFile('{"adminToken": "very-secret-token", oops}')
    const [notJson] = problems({ config: broken })
    expect(notJson).toMatch(/is not valid JSON/)
    expect(notJson).not.toContain('very-secret-token')
    expect(problems({ config: configFile({ prot: 80 }) })[0]).toMatch(/unknown option\(s\): prot/)
    expect(problems({}, { PERKVILLE_CONFIG: configFile({ retention: '1s' }) })[0]).toMatch(
      /^retention \(config file .*\): must be a duration .*at least 60000 ms/,
    )
    expect(problems({ settings: 'a.json', config: configFile({ settings: { apiKey: 'k' } }) })[0]).toMatch(
      /both give settings/,
    )
  })
})
