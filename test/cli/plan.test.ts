import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { CONFORMANCE_DIR } from '../fixtures/conformance.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const cli = join(root, 'dist/cli/index.js')
const conformance = CONFORMANCE_DIR

function plan(args: string[], input?: string) {
  return spawnSync(process.execPath, [cli, 'plan', ...args], { input, encoding: 'utf8', cwd: root })
}

describe('perkville-destination plan (built CLI)', () => {
  it('reproduces expected.jsonl for the conformance sample, messages aside', () => {
    const run = plan(['--settings', join(conformance, 'settings.json'), join(conformance, 'events.jsonl')])
    expect(run.status).toBe(0)
    const got = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    const expected = readFileSync(join(conformance, 'expected.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    for (const line of got) {
      delete line.error?.message
      delete line.reason?.message
    }
    expect(got).toEqual(expected)
  })

  it('reads standard input when no file is given, skips blank lines and keeps input order', () => {
    const settings = join(conformance, 'settings.json')
    const events = [
      '{"type":"track","event":"Checked In","email":"a@b.co","messageId":"x1"}',
      '',
      '   ',
      'not json',
      '{"type":"track","event":"Checked In","email":"c@d.co","messageId":"x2"}',
    ].join('\r\n')
    const run = plan(['--settings', settings], events)
    expect(run.status).toBe(0)
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines.map((l) => [l.line, l.messageId, l.status])).toEqual([
      [1, 'x1', 'send'],
      [2, null, 'reject'],
      [3, 'x2', 'send'],
    ])
    expect(lines[1].error.code).toBe('INVALID_JSON')
  })

  it('exits 2 with nothing on stdout and a message naming the setting when settings are invalid', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plan-'))
    const file = join(dir, 'settings.json')
    writeFileSync(file, JSON.stringify({ apiKey: 'secret-key-123456', businessId: 'abc', locationId: 1 }))
    const run = plan(['--settings', file], '{"type":"track"}\n')
    expect(run.status).toBe(2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain('businessId')
    expect(run.stderr).not.toContain('secret-key-123456')
  })

  it('shows "oncePerDay": true on the transactions of oncePerDayEvents only, and refuses an unmapped name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plan-'))
    const file = join(dir, 'settings.json')
    const settings = {
      apiKey: 'secret-key-123456',
      businessId: 1001,
      locationId: 2001,
      eventToPerkMap: { 'Checked In': 3001, 'Order Completed': 3002 },
      oncePerDayEvents: ['Checked In'],
    }
    writeFileSync(file, JSON.stringify(settings))
    const events = [
      '{"type":"track","event":"Checked In","email":"a@b.co","messageId":"d1"}',
      '{"type":"track","event":"Order Completed","email":"a@b.co","messageId":"d2","properties":{"order_id":"o1","revenue":5}}',
    ].join('\n')
    const run = plan(['--settings', file], events)
    expect(run.status).toBe(0)
    const [daily, order] = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(daily.transaction).toEqual({
      perkId: '3001',
      email: 'a@b.co',
      businessId: '1001',
      locationId: '2001',
      sendEmail: false,
      quantity: 1,
      kind: 'event',
      orderId: null,
      oncePerDay: true,
    })
    expect(order.transaction).not.toHaveProperty('oncePerDay')

    writeFileSync(file, JSON.stringify({ ...settings, oncePerDayEvents: ['Checked in'] }))
    const refused = plan(['--settings', file], events)
    expect(refused.status).toBe(2)
    expect(refused.stdout).toBe('')
    expect(refused.stderr).toContain(
      'oncePerDayEvents has "Checked in", which is not a key of eventToPerkMap',
    )
  })

  it('exits 2 when the settings file is missing or not JSON', () => {
    const missing = plan(['--settings', '/nonexistent/settings.json'], '')
    expect(missing.status).toBe(2)
    expect(missing.stdout).toBe('')
    const dir = mkdtempSync(join(tmpdir(), 'plan-'))
    writeFileSync(join(dir, 's.json'), '{oops')
    const bad = plan(['--settings', join(dir, 's.json')], '')
    expect(bad.status).toBe(2)
    expect(bad.stderr).toContain('not valid JSON')
  })

  it('streams: a large input flows through with output arriving before input ends', async () => {
    const child = spawn(process.execPath, [cli, 'plan', '--settings', join(conformance, 'settings.json')], {
      cwd: root,
    })
    const line = '{"type":"track","event":"Checked In","email":"a@b.co"}\n'
    // Write a first large slice and wait until output appears while stdin is still open.
    const firstOutput = new Promise<void>((resolve) => child.stdout.once('data', () => resolve()))
    child.stdin.write(line.repeat(20_000))
    await firstOutput
    let lines = 0
    let tail = ''
    child.stdout.on('data', (chunk: Buffer) => {
      const text = tail + chunk.toString()
      const parts = text.split('\n')
      tail = parts.pop() ?? ''
      lines += parts.length
    })
    child.stdin.end(line.repeat(30_000))
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect(code).toBe(0)
    // The listener attached after the first chunk, so at least the rest must have arrived.
    expect(lines).toBeGreaterThan(30_000)
  })
})
