import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { readContractCheck } from '../../src/server/contract-check-file.js'
import { CONFORMANCE_SETTINGS } from '../fixtures/conformance.js'
import { runCli, startSandboxChild } from '../sandbox/child.js'

/** `check --write-probe` run as a user runs it: the built CLI against a real sandbox process. */
const dir = mkdtempSync(join(tmpdir(), 'pv-probe-'))
const started: Array<{ stop(): Promise<number | null> }> = []
afterAll(async () => {
  for (const s of started) await s.stop()
})

async function probe(sandboxArgs: string[], dataDir: string, extra: string[] = []) {
  const sandbox = await startSandboxChild(sandboxArgs)
  started.push(sandbox)
  const run = await runCli([
    'check',
    '--settings',
    CONFORMANCE_SETTINGS,
    '--perkville-url',
    sandbox.url,
    '--write-probe',
    '--perk',
    '3001',
    '--business-is-test',
    '--data-dir',
    dataDir,
    ...extra,
  ])
  const all = (await (await fetch(`${sandbox.origin}/_sandbox/transactions`)).json()) as {
    objects: Array<{ trans_source_id: string }>
  }
  return { ...run, transactions: all.objects }
}

describe('check --write-probe', () => {
  it.each([
    ['409', /second POST \(same trans_source_id\): HTTP 409: A transaction with trans_source_id/],
    ['400', /second POST \(same trans_source_id\): HTTP 400: DUPLICATE_TRANS_SOURCE_ID: A transaction/],
    ['existing', /second POST \(same trans_source_id\): HTTP 200/],
  ])(
    'passes against the sandbox when duplicates are answered %s, and keeps the result',
    async (answer, second) => {
      const dataDir = join(dir, `ok-${answer}`)
      const { code, stdout, stderr, transactions } = await probe(['--duplicate-answer', answer], dataDir)
      expect(stderr).toBe('')
      expect(stdout).toMatch(/first POST: HTTP 201/)
      expect(stdout).toMatch(second)
      expect(stdout).toMatch(/lookup by trans_source_id: HTTP 200/)
      expect(stdout).toMatch(/^ok {3}duplicate trans_source_id refused or returned: /m)
      expect(stdout).toMatch(/^ok {3}lookup by trans_source_id accepted: found 1 transaction/m)
      expect(stdout).toContain("The destination's assumptions hold")
      expect(code).toBe(0)
      expect(transactions).toHaveLength(1)
      const kept = readContractCheck(dataDir)
      expect(kept).toMatchObject({ ok: true, businessId: '1001', perkId: '3001' })
      expect(kept?.transSourceId).toBe(transactions[0]?.trans_source_id)
      expect(readFileSync(join(dataDir, 'contract-check.json'), 'utf8')).not.toContain('sandbox-token')
    },
  )

  it('fails with a clear explanation against a Perkville that does not dedup (--no-dedup), exit 1', async () => {
    const dataDir = join(dir, 'no-dedup')
    const { code, stdout, transactions } = await probe(['--no-dedup'], dataDir)
    expect(code).toBe(1)
    expect(stdout).toMatch(
      /^FAIL duplicate trans_source_id refused or returned: Perkville recorded the same trans_source_id a second time .*a resend after a lost answer would award twice/m,
    )
    expect(stdout).toContain("The destination's assumptions do NOT hold")
    expect(transactions).toHaveLength(2)
    expect(readContractCheck(dataDir)).toMatchObject({ ok: false })
  })

  it('fails when Perkville refuses the lookup filter, saying what that means', async () => {
    const { code, stdout } = await probe(['--no-lookup-filter'], join(dir, 'no-lookup'))
    expect(code).toBe(1)
    expect(stdout).toMatch(
      /^FAIL lookup by trans_source_id accepted: Perkville refused the lookup \(HTTP 400: The 'trans_source_id' field does not allow filtering\.\).*parked cannot_settle/m,
    )
  })

  it('refuses to run without --business-is-test or --perk, writing nothing', async () => {
    const dataDir = join(dir, 'refused')
    const base = ['check', '--settings', CONFORMANCE_SETTINGS, '--perkville-url', 'http://127.0.0.1:9/v2/']
    const noTest = await runCli([...base, '--write-probe', '--perk', '3001', '--data-dir', dataDir])
    expect(noTest.code).toBe(2)
    expect(noTest.stderr).toContain('refuses to run without --business-is-test')
    const noPerk = await runCli([...base, '--write-probe', '--business-is-test', '--data-dir', dataDir])
    expect(noPerk.code).toBe(2)
    expect(noPerk.stderr).toContain('--write-probe needs --perk ID')
    expect(existsSync(dataDir)).toBe(false)
  })
})
