/** `perkville-destination import` without a service: the dry run, argument and input errors. */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { PlanSummarizer } from '../../src/cli/import/plan-summary.js'
import type { PlanLine } from '../../src/core/plan.js'
import { CONFORMANCE_DIR } from '../fixtures/conformance.js'
import { CLI, removeDir, tempDir } from '../service/helpers.js'
import { runImport, summaryOf } from './import-helpers.js'

let dir: string
beforeAll(() => {
  dir = tempDir('perkville-import-cli-')
})
afterAll(() => removeDir(dir))

const settings = join(CONFORMANCE_DIR, 'settings.json')

/** What `plan` prints for a file, aggregated line by line. */
function planSummary(file: string) {
  const run = spawnSync(process.execPath, [CLI, 'plan', '--settings', settings, file], { encoding: 'utf8' })
  expect(run.status).toBe(0)
  const summarizer = new PlanSummarizer()
  const lines = run.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as PlanLine)
  for (const line of lines) summarizer.add(line)
  return { summary: summarizer.summary(), lines }
}

describe('--dry-run', () => {
  test('its summary equals what plan says for the same events (the conformance sample)', async () => {
    const file = join(CONFORMANCE_DIR, 'events.jsonl')
    const { summary, lines } = planSummary(file)
    const report = join(dir, 'conformance-report.jsonl')
    const run = await runImport(
      ['--dry-run', '--settings', settings, '--json', '--report', report, file],
      dir,
    )
    const dry = summaryOf(run)
    expect(dry).toMatchObject({ dryRun: true, ...summary })
    // Rows the rules reject would be refused: exit 1, each one in the report.
    const rejects = lines.filter((l) => l.status === 'reject').length
    expect(rejects).toBeGreaterThan(0)
    expect(dry.refusedRecords).toBeGreaterThanOrEqual(rejects)
    expect(run.code, run.stderr).toBe(1)
    // And the summary says something: counted independently of the summarizer.
    const sends = lines.filter((l) => l.status === 'send')
    expect((dry.outcomes as { send: number }).send).toBe(sends.length)
    expect(dry.events).toBe(lines.length)
    expect(dry.customers).toBe(
      new Set(sends.map((l) => (l.status === 'send' ? l.transaction.email.toLowerCase() : ''))).size,
    )
    expect(Object.keys(dry.outcomes as object)).toEqual(['send', 'skip', 'reject'])
    // Nothing was sent and nothing was kept.
    expect(existsSync(join(dir, '.perkville-import'))).toBe(false)
  })

  test('equals plan on a generated mix, and prints a readable summary', async () => {
    const file = join(dir, 'mix.jsonl')
    const events: string[] = []
    for (let i = 0; i < 3000; i++) {
      const kind = i % 7
      const email = i % 13 === 0 ? '' : `p${i % 211}@example.com`
      if (kind === 0) events.push(`{"type":"track","event":"Checked In","email":"${email}","userId":"u${i}"}`)
      else if (kind === 1) events.push('not json at all')
      else if (kind === 2) events.push(`{"type":"identify","userId":"u${i}"}`)
      else if (kind === 3)
        events.push(
          JSON.stringify({
            type: 'track',
            event: 'Order Refunded',
            userId: `u${i}`,
            properties: { email, order_id: `o${i}`, revenue: -(i % 50) },
          }),
        )
      else
        events.push(
          JSON.stringify({
            type: 'track',
            event: 'Order Completed',
            userId: `u${i}`,
            properties: { email, order_id: `o${i}`, revenue: ((i * 7919) % 100000) / 100 },
          }),
        )
    }
    writeFileSync(file, `${events.join('\n')}\n`)
    const { summary } = planSummary(file)
    const report = join(dir, 'mix-report.jsonl')
    const run = await runImport(
      ['--dry-run', '--settings', settings, '--json', '--report', report, file],
      dir,
    )
    expect(summaryOf(run)).toMatchObject(summary)
    expect(summary.biggest).toHaveLength(10)

    const text = await runImport(['--dry-run', '--settings', settings, '--report', report, file], dir)
    expect(text.code).toBe(1)
    expect(text.stdout).toMatch(/would be refused: [\d,]+, each listed with its file and line in /)
    expect(text.stdout).toMatch(/Dry run of .*mix\.jsonl \(nothing was sent\)/)
    expect(text.stdout).toMatch(/reject +[\d,]+ +\(.*INVALID_JSON 429/)
    expect(text.stdout).toMatch(
      /biggest awards:\n +line \d+: [\d,.]+ to p\d+@example\.com \(perk \d+, order o\d+\)/,
    )
  })

  test('without settings: a clear error and exit 2 (reading them from the service is not available yet)', async () => {
    const file = join(CONFORMANCE_DIR, 'events.jsonl')
    const none = await runImport(['--dry-run', file], dir)
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/--dry-run needs the destination settings: pass --settings FILE/)
    expect(none.stdout).toBe('')
  })
})

describe('arguments and input', () => {
  test('a mapping column the CSV header lacks: exit 2 before anything is sent, naming the columns', async () => {
    const csv = join(dir, 'visits.csv')
    writeFileSync(csv, 'Member Email,Visited\nann@example.com,2025-02-01 07:30\n')
    const run = await runImport(
      [
        '--url',
        'http://127.0.0.1:9',
        '--write-key',
        'k',
        '--map',
        'event=Checked In',
        '--map',
        'email=Email',
        '--map',
        'timestamp=Visited',
        csv,
      ],
      dir,
    )
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(
      `${csv}: email names column "Email", which the header does not have (columns: "Member Email", "Visited")`,
    )
  })

  test('an invalid mapping lists every problem', async () => {
    const mapping = join(dir, 'bad-mapping.json')
    writeFileSync(mapping, JSON.stringify({ email: 'E', refundColumn: 'S', colour: 'red' }))
    const run = await runImport(['--write-key', 'k', '--mapping', mapping, 'x.csv'], dir)
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/colour/)
    expect(run.stderr).toMatch(/exactly one of event \(a fixed name\) and eventColumn/)
    expect(run.stderr).toMatch(/refundEvent is required/)
  })

  test('an unreachable service: exit 2 with a message naming it, nothing kept', async () => {
    const port = await freePort()
    const file = join(dir, 'one.jsonl')
    writeFileSync(file, '{"type":"track","event":"Checked In","userId":"a","email":"a@example.com"}\n')
    const run = await runImport(
      ['--url', `http://127.0.0.1:${port}`, '--write-key', 'secret-key-1', file],
      dir,
    )
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(
      `cannot reach the service at http://127.0.0.1:${port} (ECONNREFUSED); is it running?`,
    )
    expect(run.stderr).not.toContain('secret-key-1')
  })

  test('bad options are listed together; a missing file and a missing write key are clear', async () => {
    const run = await runImport(
      ['--write-key', 'k', '--rate', 'fast', '--concurrency', '0', '--batch-size', '9999', 'x.jsonl'],
      dir,
    )
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/--rate must be a whole number from 0/)
    expect(run.stderr).toMatch(/--concurrency must be a whole number from 1 to 64/)
    expect(run.stderr).toMatch(/--batch-size must be a whole number from 1 to 2500/)

    const missing = await runImport(['--write-key', 'k', join(dir, 'nope.jsonl')], dir)
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/cannot read .*nope\.jsonl: ENOENT/)

    const noKey = await runImport([join(CONFORMANCE_DIR, 'events.jsonl')], dir)
    expect(noKey.code).toBe(2)
    expect(noKey.stderr).toMatch(/a write key is needed/)
    expect(readdirSync(dir)).not.toContain('perkville-import-report.jsonl')
  })

  test('CSV rows become events as the mapping says (seen through the dry run)', async () => {
    const csv = join(dir, 'shop.csv')
    writeFileSync(
      csv,
      [
        'id;email;when;amount;state',
        'A1;jo@example.com;2025-03-01 10:00:00;12.50;paid',
        'A1;jo@example.com;2025-03-02T10:00:00+02:00;12.50;REFUNDED',
        'A2;;2025-03-03;5;paid',
        'A3;al@example.com;not a date;5;paid',
        'A4;al@example.com;2025-03-04;;paid',
        'A5;al@example.com;2025-02-30;5;paid',
      ].join('\n'),
    )
    const mapping = join(dir, 'shop.json')
    writeFileSync(
      mapping,
      JSON.stringify({
        event: 'Order Completed',
        email: 'email',
        orderId: 'id',
        revenue: 'amount',
        timestamp: 'when',
        refundColumn: 'state',
        refundValues: ['refunded'],
        refundEvent: 'Order Refunded',
        delimiter: ';',
      }),
    )
    const report = join(dir, 'shop-report.jsonl')
    const run = await runImport(
      ['--dry-run', '--settings', settings, '--json', '--mapping', mapping, '--report', report, csv],
      dir,
    )
    // Rows would be refused: a dry run says so with exit 1 and a report naming each row.
    expect(run.code, run.stderr).toBe(1)
    const s = summaryOf(run)
    expect(s).toMatchObject({
      events: 4,
      outcomes: { send: 2, reject: { MISSING_AMOUNT: 1, MISSING_EMAIL: 1 } },
      // 2025-02-30 is no date: refused, not rolled over to 2025-03-02.
      inputProblems: { INVALID_TIMESTAMP: 2 },
      refusedRecords: 4,
      report,
      customers: 1,
      missingIdentity: 1,
    })
    const perks = s.perks as Record<string, { awards: number; refunds: number; quantity: number }>
    expect(Object.values(perks)).toEqual([{ awards: 1, refunds: 1, quantity: 0 }])
    const rows = readFileSync(report, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { file: string; line: number; code: string })
    expect(rows.map((r) => [r.file, r.line, r.code])).toEqual([
      [csv, 4, 'MISSING_IDENTITY'],
      [csv, 5, 'INVALID_TIMESTAMP'],
      [csv, 6, 'MISSING_AMOUNT'],
      [csv, 7, 'INVALID_TIMESTAMP'],
    ])
  })
})

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}
