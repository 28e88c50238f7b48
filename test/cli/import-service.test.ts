/**
 * `perkville-destination import` against the real delivery service (a child process) delivering to a
 * real sandbox (in this process, so it outlives the service and the importer): every award exactly
 * once, across re-runs and a SIGKILL in the middle.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type RunningSandbox, startSandbox } from '../../src/sandbox/index.js'
import {
  eventually,
  removeDir,
  type ServeProcess,
  startServe,
  stopServe,
  tempDir,
  writeSandboxSettings,
} from '../service/helpers.js'
import {
  awardKeys,
  checkInHistory,
  type ExpectedAward,
  runImport,
  spawnImport,
  summaryOf,
} from './import-helpers.js'

const WRITE_KEY = 'import-test-write-key'
const MAP = { 'Checked In': 3001, 'Order Completed': 3002, 'Order Refunded': 3002 }

let sandbox: RunningSandbox
let service: ServeProcess
let dir: string

beforeAll(async () => {
  sandbox = await startSandbox({ memory: true })
  dir = tempDir('perkville-import-')
  const settings = writeSandboxSettings(dir, sandbox.token, MAP)
  service = await startServe({
    args: ['--perkville-url', sandbox.url, '--settings', settings, '--write-key', WRITE_KEY],
  })
})

afterAll(async () => {
  if (service) await stopServe(service, 'SIGKILL')
  await sandbox?.close()
  removeDir(dir)
})

const base = () => ['--url', service.url, '--write-key', WRITE_KEY, '--json']

function awardsOf(filter: (email: string) => boolean): ExpectedAward[] {
  return sandbox
    .transactions()
    .filter((t) => filter(t.email))
    .map((t) => ({ email: t.email, perk: Number(t.perk), quantity: t.quantity, at: t.transaction_dt ?? '' }))
}

async function delivered(count: number, filter: (email: string) => boolean, what: string) {
  // Counted first: reading every transaction (tens of thousands) each poll would keep this process,
  // the sandbox's, from answering the deliveries it waits for. `others`: those already there, not `filter`'s.
  const others = sandbox.transactionCount() - awardsOf(filter).length
  await eventually(() => (sandbox.transactionCount() - others >= count ? true : undefined), 90_000, what)
  await eventually(() => (awardsOf(filter).length >= count ? true : undefined), 90_000, what)
  // Give anything that would arrive twice a moment to show up.
  await eventually(
    async () => {
      const ready = (await (await fetch(`${service.url}/readyz`)).json()) as { queueDepth: number }
      return ready.queueDepth === 0 ? true : undefined
    },
    30_000,
    'an empty queue',
  )
}

function checkpointLines(file: string): number {
  if (!existsSync(file)) return 0
  try {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { done: Array<Array<[number, number]>> }
    return saved.done.flat().reduce((n, [from, to]) => n + to - from + 1, 0)
  } catch {
    return 0
  }
}

describe('a 20,000-event JSONL history', () => {
  const count = 20_000
  let history: { file: string; expected: ExpectedAward[] }
  const members = (email: string) => email.startsWith('member')

  beforeAll(() => {
    history = checkInHistory(dir, count)
  })

  test('killed (SIGKILL) halfway, then resumed: every award exactly once', async () => {
    const checkpoint = join(dir, 'history.checkpoint.json')
    const args = [...base(), '--checkpoint', checkpoint, '--progress-interval', '300ms', history.file]
    // Slow enough to be caught in the middle.
    const first = spawnImport([...args, '--rate', '4000', '--batch-size', '250'], dir)
    await eventually(() => (checkpointLines(checkpoint) >= count / 4 ? true : undefined), 60_000, 'a quarter')
    first.child.kill('SIGKILL')
    const killed = await first.done
    expect(killed.signal).toBe('SIGKILL')
    const before = checkpointLines(checkpoint)
    expect(before).toBeLessThan(count)
    // Not a terminal: progress comes as plain lines on stderr.
    expect(killed.stderr).toMatch(
      /^import: [\d,]+\/20,000 done, sent [\d,]+, accepted [\d,]+, refused 0, .*events\/s/m,
    )

    const resumed = await runImport([...args, '--rate', '0'], dir)
    const summary = summaryOf(resumed)
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(summary.alreadyImported).toBe(before)
    expect(summary.accepted).toBe(count - before)
    // Batches accepted after the last checkpoint save come again and are recognised.
    expect((summary.queued as number) + (summary.duplicates as number)).toBe(count - before)
    expect(summary.refused).toBe(0)

    await delivered(count, members, '20,000 awards')
    const awards = awardsOf(members)
    expect(awardKeys(awards)).toEqual(awardKeys(history.expected))
    const ids = sandbox
      .transactions()
      .filter((t) => members(t.email))
      .map((t) => t.trans_source_id)
    expect(new Set(ids).size).toBe(count)
    expect(ids.every((id) => /^imp-[0-9a-f]{40}$/.test(id))).toBe(true)
  }, 180_000)

  test('the same import again adds nothing: skipped by the checkpoint, or acknowledged as duplicates', async () => {
    const checkpoint = join(dir, 'history.checkpoint.json')
    const again = await runImport([...base(), '--checkpoint', checkpoint, '--rate', '0', history.file], dir)
    expect(again.code, again.stderr).toBe(0)
    expect(summaryOf(again)).toMatchObject({ alreadyImported: count, sent: 0, accepted: 0 })

    const fresh = await runImport([...base(), '--no-checkpoint', '--rate', '0', history.file], dir)
    expect(fresh.code, fresh.stderr).toBe(0)
    expect(summaryOf(fresh)).toMatchObject({ accepted: count, queued: 0, duplicates: count, dropped: 0 })
    await sleep(500)
    expect(awardsOf(members)).toHaveLength(count)
  }, 120_000)
})

describe('a CSV order export with a mapping', () => {
  const shoppers = (email: string) => email.startsWith('shopper')

  test('every order and refund once, with its original time; a second run adds nothing', async () => {
    const rows = ['Order,Customer Email,Placed At,Total,Status']
    const expected: ExpectedAward[] = []
    for (let i = 1; i <= 1500; i++) {
      const email = `shopper${i % 150}@example.com`
      const at = new Date(Date.UTC(2024, 5, 1, 8) + i * 3_600_000)
      const total = ((i * 37) % 200) + 0.25
      rows.push(`#${i},${email},${at.toISOString().replace('T', ' ').slice(0, 19)},${total.toFixed(2)},paid`)
      expected.push({ email, perk: 3002, quantity: total, at: at.toISOString() })
      if (i % 100 === 0) {
        const refundAt = new Date(at.getTime() + 86_400_000)
        // Within what the order awarded, so the service's refund cap leaves it whole.
        rows.push(`#${i},${email},${refundAt.toISOString().slice(0, 19)}Z,0.20,Refunded`)
        expected.push({ email, perk: 3002, quantity: -0.2, at: refundAt.toISOString() })
      }
    }
    const csv = join(dir, 'orders.csv')
    writeFileSync(csv, `${rows.join('\r\n')}\r\n`)
    const mapping = join(dir, 'mapping.json')
    writeFileSync(
      mapping,
      JSON.stringify({
        event: 'Order Completed',
        email: 'Customer Email',
        orderId: 'Order',
        revenue: 'Total',
        timestamp: 'Placed At',
        refundColumn: 'Status',
        refundValues: ['refunded'],
        refundEvent: 'Order Refunded',
      }),
    )
    const args = [
      ...base(),
      '--mapping',
      mapping,
      '--rate',
      '0',
      '--checkpoint',
      join(dir, 'orders.cp.json'),
      csv,
    ]
    const first = await runImport(args, dir)
    expect(first.code, first.stderr).toBe(0)
    expect(summaryOf(first)).toMatchObject({
      accepted: 1515,
      queued: 1515,
      duplicates: 0,
      dropped: 0,
      refused: 0,
    })
    await delivered(1515, shoppers, '1,515 order transactions')
    expect(awardKeys(awardsOf(shoppers))).toEqual(awardKeys(expected))

    const second = await runImport([...args.slice(0, -3), '--no-checkpoint', csv], dir)
    expect(summaryOf(second)).toMatchObject({ accepted: 1515, queued: 0, duplicates: 1515 })
    await sleep(300)
    expect(awardsOf(shoppers)).toHaveLength(1515)
  }, 120_000)
})

describe('bad input and a difficult service', () => {
  const walkers = (email: string) => email.startsWith('walker')

  test('bad lines are reported with line numbers; the events around them are imported (exit 1)', async () => {
    const good = (n: number) =>
      JSON.stringify({ type: 'track', event: 'Checked In', userId: `w${n}`, email: `walker${n}@example.com` })
    const lines = [
      good(1),
      '{"type":"track", broken',
      good(2),
      '',
      '[1,2,3]',
      JSON.stringify({
        type: 'track',
        event: 'Checked In',
        userId: 'w9',
        email: 'walker9@example.com',
        properties: { note: 'x'.repeat(40_000) },
      }),
      good(3),
      // Not in eventToPerkMap: the service refuses it, and says which one.
      JSON.stringify({ type: 'track', event: 'Logged In', userId: 'w8', email: 'walker8@example.com' }),
    ]
    const file = join(dir, 'mixed.jsonl')
    writeFileSync(file, `${lines.join('\n')}\n`)
    const report = join(dir, 'mixed-report.jsonl')
    const run = await runImport(
      [...base(), '--no-checkpoint', '--report', report, '--progress-interval', '1h', file],
      dir,
    )
    expect(run.code).toBe(1)
    // Accepted: only what the service took; the rules' refusal is counted apart.
    expect(summaryOf(run)).toMatchObject({ accepted: 3, queued: 3, rejectedByRules: 1, refused: 4, report })
    // The last progress line has the final counts, even when no interval passed.
    expect(run.stderr.trim().split('\n').at(-1)).toMatch(
      /^import: 7\/\d+ done, sent 4, accepted 3, refused 4, /,
    )
    const refused = readFileSync(report, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; code: string; reason: string; file: string })
      .sort((a, b) => a.line - b.line)
    expect(refused.map((r) => [r.line, r.code])).toEqual([
      [2, 'INVALID_JSON'],
      [5, 'INVALID_EVENT'],
      [6, 'EVENT_TOO_LARGE'],
      [8, 'EVENT_NOT_ALLOWLISTED'],
    ])
    expect(refused[3]!.reason).toContain('Logged In')
    expect(refused[2]!.reason).toMatch(/over the 32 KB limit/)
    expect(refused.every((r) => r.file === file)).toBe(true)
    expect(JSON.stringify(refused)).not.toContain('xxxxxxxx')
    await delivered(3, walkers, 'three walkers')
  }, 60_000)

  test('a 429 storm: Retry-After is honoured, then everything is accepted (exit 0)', async () => {
    // A proxy in front of the real service that answers the first requests 429, Retry-After: 1.
    const refusedAt: number[] = []
    let retriedAt = 0
    const proxy: Server = createServer((req, res) => {
      if (req.url === '/v1/import' && refusedAt.length < 3) {
        req.resume()
        refusedAt.push(Date.now())
        res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' })
        res.end('{"success":false,"error":"slow down","code":"RATE_LIMITED"}')
        return
      }
      if (req.url === '/v1/import' && retriedAt === 0) retriedAt = Date.now()
      const target = new URL(req.url ?? '/', service.url)
      const upstream = httpRequest(target, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      })
      req.pipe(upstream)
    })
    await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done))
    try {
      const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
      const file = join(dir, 'storm.jsonl')
      const events = Array.from({ length: 50 }, (_, n) =>
        JSON.stringify({
          type: 'track',
          event: 'Checked In',
          userId: `s${n}`,
          email: `walker-storm${n}@example.com`,
        }),
      )
      writeFileSync(file, `${events.join('\n')}\n`)
      const run = await runImport(
        ['--url', url, '--write-key', WRITE_KEY, '--json', '--no-checkpoint', '--concurrency', '1', file],
        dir,
      )
      expect(run.code, run.stderr).toBe(0)
      expect(summaryOf(run)).toMatchObject({ accepted: 50, queued: 50, retries: 3, refused: 0 })
      expect(run.stderr).toMatch(/the service answered 429 slow down; sending again in 1\.\d s/)
      // Each retry came no sooner than the Retry-After said.
      expect(refusedAt[1]! - refusedAt[0]!).toBeGreaterThanOrEqual(950)
      expect(retriedAt - refusedAt[2]!).toBeGreaterThanOrEqual(950)

      // A storm that does not end: the run stops with a clear message and exit 2.
      refusedAt.length = 0
      const endless = createServer((req, res) => {
        req.resume()
        if (req.url === '/healthz') return res.end('{"status":"ok"}')
        res.writeHead(429, { 'retry-after': '1' })
        res.end('{"success":false,"error":"slow down"}')
      })
      await new Promise<void>((done) => endless.listen(0, '127.0.0.1', done))
      try {
        const stuck = await runImport(
          [
            '--url',
            `http://127.0.0.1:${(endless.address() as AddressInfo).port}`,
            '--write-key',
            WRITE_KEY,
            '--no-checkpoint',
            '--retry-for',
            '2500ms',
            file,
          ],
          dir,
        )
        expect(stuck.code).toBe(2)
        expect(stuck.stderr).toMatch(
          /stopped: the service at http:\/\/127\.0\.0\.1:\d+ did not take a batch for \d s \(last: 429 slow down\)/,
        )
        expect(stuck.stderr).toMatch(/Run the same command again to resume/)
      } finally {
        endless.close()
      }
    } finally {
      proxy.close()
    }
  }, 60_000)

  test('a wrong write key stops the run at once (exit 2)', async () => {
    const file = join(dir, 'one.jsonl')
    writeFileSync(
      file,
      '{"type":"track","event":"Checked In","userId":"k","email":"walker-key@example.com"}\n',
    )
    const run = await runImport(
      ['--url', service.url, '--write-key', 'wrong-key', '--no-checkpoint', file],
      dir,
    )
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/the service refused the write key \(401/)
    expect(run.stderr).not.toContain('wrong-key')
  })
})
