import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_READONLY_TOKEN } from '../../src/sandbox/seed.js'
import { CONFORMANCE_SETTINGS } from '../fixtures/conformance.js'
import { runCli, type SandboxChild, startSandboxChild } from '../sandbox/child.js'

const CONFORMANCE = CONFORMANCE_SETTINGS
const conformance = JSON.parse(readFileSync(CONFORMANCE, 'utf8')) as Record<string, unknown>
const dir = mkdtempSync(join(tmpdir(), 'pv-check-'))

function settingsFile(name: string, content: unknown): string {
  const path = join(dir, name)
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
  return path
}

let sandbox: SandboxChild

beforeAll(async () => {
  sandbox = await startSandboxChild()
})
afterAll(async () => {
  await sandbox?.stop()
})

const check = (settings: string, ...extra: string[]) =>
  runCli(['check', '--settings', settings, '--perkville-url', sandbox.url, ...extra])

describe('perkville-destination check', () => {
  it('passes every item of the conformance settings and exits 0, never printing the token', async () => {
    const { code, stdout, stderr } = await check(CONFORMANCE)
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const lines = stdout.trim().split('\n')
    expect(lines.filter((l) => l.startsWith('ok   '))).toHaveLength(8)
    expect(stdout).toContain('ok   scope ADMIN_CUSTOMER_GRANT_POINTS: the token may grant points')
    expect(stdout).toContain('ok   scope ADMIN_CUSTOMER_INFO: the token may look up transactions')
    expect(stdout).toContain('ok   perk 3002 ("Order Completed", "Order Refunded"): found: "Spend"')
    expect(stdout).toContain('All 8 checks passed.')
    expect(stdout + stderr).not.toContain(conformance.apiKey as string)
  })

  it('with a wrong token says it was rejected and what to do, exit 1, token not printed', async () => {
    const secret = 'wrong-secret-token-4c1d'
    const { code, stdout, stderr } = await check(
      settingsFile('wrong.json', { ...conformance, apiKey: secret }),
    )
    expect(code).toBe(1)
    expect(stdout).toMatch(/^FAIL token: token rejected/m)
    expect(stdout).toContain(
      'make a new token in Perkville > Settings > Apps > Connect Segment and update apiKey',
    )
    expect(stdout + stderr).not.toContain(secret)
  })

  it('refuses settings whose token cannot be a bearer token (exit 2), without printing it', async () => {
    const secret = 'has spaces inside-9f2'
    const { code, stdout, stderr } = await check(
      settingsFile('spaces.json', { ...conformance, apiKey: secret }),
    )
    expect(code).toBe(2)
    expect(stderr).toContain('apiKey has characters a bearer token cannot have')
    expect(stdout + stderr).not.toContain('inside-9f2')
  })

  it('names an unknown perk and the events mapped to it', async () => {
    const map = { ...(conformance.eventToPerkMap as object), 'Class Booked': 3999 }
    const { code, stdout } = await check(settingsFile('perk.json', { ...conformance, eventToPerkMap: map }))
    expect(code).toBe(1)
    expect(stdout).toContain('FAIL perk 3999 ("Class Booked"): perk 3999 is not a perk of business 1001')
    expect(stdout).toContain('1 of 9 checks failed.')
  })

  it('fails a token that may read but not grant points, naming the missing scope, exit 1', async () => {
    const { code, stdout, stderr } = await check(
      settingsFile('readonly.json', { ...conformance, apiKey: DEFAULT_READONLY_TOKEN }),
    )
    expect(code).toBe(1)
    expect(stdout).toMatch(/^ok {3}token: token accepted$/m)
    expect(stdout).toMatch(
      /^FAIL scope ADMIN_CUSTOMER_GRANT_POINTS: the token may not grant points: it lacks the ADMIN_CUSTOMER_GRANT_POINTS scope/m,
    )
    expect(stdout).toMatch(/^FAIL scope ADMIN_CUSTOMER_INFO: .*lacks the ADMIN_CUSTOMER_INFO scope/m)
    expect(stdout).not.toContain('All ')
    expect(stdout + stderr).not.toContain(DEFAULT_READONLY_TOKEN)
  })

  it('takes a base URL without /v2/ as the API under it, and says so', async () => {
    const origin = new URL(sandbox.url).origin
    const { code, stdout } = await runCli(['check', '--settings', CONFORMANCE, '--perkville-url', origin])
    expect(stdout).toContain(`Note: ${origin} has no API path; using ${origin}/v2/`)
    expect(stdout).toContain('All 8 checks passed.')
    expect(code).toBe(0)
  })

  it('names an unknown location', async () => {
    const { code, stdout } = await check(settingsFile('loc.json', { ...conformance, locationId: 2999 }))
    expect(code).toBe(1)
    expect(stdout).toMatch(/^FAIL location 2999: location 2999 is not a location of business 1001/m)
  })

  it('exits 2 with a clear message on invalid settings, printing nothing on stdout', async () => {
    const cases: [string, RegExp][] = [
      [settingsFile('bad.json', '{nope'), /is not valid JSON/],
      [settingsFile('nokey.json', { ...conformance, apiKey: '' }), /apiKey is required/],
      [
        settingsFile('noloc.json', { ...conformance, locationId: 'abc' }),
        /locationId must be a positive integer/,
      ],
      [join(dir, 'missing.json'), /cannot read settings file .*ENOENT/],
    ]
    for (const [file, message] of cases) {
      const { code, stdout, stderr } = await check(file)
      expect(code, file).toBe(2)
      expect(stdout, file).toBe('')
      expect(stderr, file).toMatch(message)
    }
    const badUrl = await runCli(['check', '--settings', CONFORMANCE, '--perkville-url', 'ftp://x'])
    expect(badUrl.code).toBe(2)
    expect(badUrl.stderr).toContain('--perkville-url')
  })

  it('reports Perkville being down, exit 1', async () => {
    const down = await startSandboxChild(['--outage'])
    try {
      const { code, stdout } = await runCli(['check', '--settings', CONFORMANCE, '--perkville-url', down.url])
      expect(code).toBe(1)
      expect(stdout).toMatch(/^FAIL token: could not check: Perkville answered HTTP 503/m)
    } finally {
      await down.stop()
    }
  })
})
