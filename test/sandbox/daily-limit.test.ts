import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type DailyLimitAnswer,
  parseSeed,
  type RunningSandbox,
  type SandboxSeed,
  startSandbox,
} from '../../src/sandbox/index.js'
import { runCli, startSandboxChild } from './child.js'

/** The sandbox's clock, moved by the test: no sleeping across midnight. */
function clock(iso: string) {
  let at = Date.parse(iso)
  return { now: () => at, set: (next: string) => (at = Date.parse(next)) }
}

const business = (timezone?: string): SandboxSeed['businesses'][number] => ({
  id: 1001,
  name: 'Gym',
  ...(timezone === undefined ? {} : { timezone }),
  locations: [{ id: 2001, name: 'Downtown' }],
  perks: [
    { id: 3001, title: 'Check-in', kind: 'visit', pointsPerUnit: 10 },
    { id: 3002, title: 'Class', kind: 'visit', pointsPerUnit: 5 },
  ],
})

const running: RunningSandbox[] = []
const dirs: string[] = []
afterEach(async () => {
  for (const sb of running.splice(0)) await sb.close()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

async function sandbox(opts: {
  timezone?: string
  now?: () => number
  dailyLimitAnswer?: DailyLimitAnswer
  dataDir?: string
}) {
  const sb = await startSandbox({
    seed: { businesses: [business(opts.timezone)] },
    ...(opts.now === undefined ? {} : { now: opts.now }),
    ...(opts.dailyLimitAnswer === undefined ? {} : { dailyLimitAnswer: opts.dailyLimitAnswer }),
    ...(opts.dataDir === undefined ? {} : { dataDir: opts.dataDir }),
  })
  running.push(sb)
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(new URL(path, sb.url), {
      method,
      headers: {
        authorization: `Bearer ${sb.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
    return { status: res.status, body: (await res.json()) as any }
  }
  let n = 0
  const award = (over: Record<string, unknown> = {}) =>
    call('POST', 'transactions/', {
      business: 1001,
      location: 2001,
      perk: 3001,
      email: 'kim@example.com',
      quantity: 1,
      external_id: `t-${++n}`,
      limit_to_once_per_calendar_day: true,
      ...over,
    })
  return { sb, call, award }
}

describe('sandbox: once per calendar day, in the business time zone', () => {
  it('shows the business time zone, America/New_York unless seeded, and refuses an unknown zone', async () => {
    const plain = await sandbox({})
    expect((await plain.call('GET', 'businesses/1001/')).body).toMatchObject({ timezone: 'America/New_York' })
    const tokyo = await sandbox({ timezone: 'Asia/Tokyo' })
    expect((await tokyo.call('GET', 'businesses/1001/')).body).toMatchObject({ timezone: 'Asia/Tokyo' })
    expect(() => parseSeed({ businesses: [business('Mars/Olympus')] })).toThrow(
      'businesses.0.timezone: must be an IANA time zone name such as America/New_York or UTC',
    )
  })

  it('refuses a second award of the perk to the customer on the same day there, and takes it after local midnight', async () => {
    // 23:30 on 6 December in New York is 04:30 on 7 December in UTC.
    const time = clock('2026-12-07T04:30:00Z')
    const { award, sb } = await sandbox({ now: time.now })
    expect((await award()).status).toBe(201)

    time.set('2026-12-07T04:59:59Z') // 23:59:59 in New York: the same day
    const refused = await award({ email: 'KIM@example.com' })
    expect(refused.status).toBe(400)
    expect(refused.body).toEqual({
      status: 'failure',
      error_codes: [],
      errors: [
        'Perk 3001 can be awarded once per calendar day; this customer already received it today (2026-12-06).',
      ],
    })

    time.set('2026-12-07T05:00:00Z') // midnight in New York, still the same UTC day as the first award
    expect((await award()).status).toBe(201)
    expect((await award()).status).toBe(400)
    expect(sb.transactions()).toHaveLength(2)
  })

  it('counts the day in the business time zone, not UTC', async () => {
    const time = clock('2026-12-07T23:30:00Z') // 08:30 on 8 December in Tokyo
    const { award } = await sandbox({ timezone: 'Asia/Tokyo', now: time.now })
    expect((await award()).status).toBe(201)
    time.set('2026-12-08T00:30:00Z') // another UTC day, the same Tokyo day
    expect((await award()).status).toBe(400)
    time.set('2026-12-08T15:00:00Z') // midnight in Tokyo
    expect((await award()).status).toBe(201)
  })

  it('limits only flagged awards, per perk and customer; a refund is no award', async () => {
    const time = clock('2026-12-07T15:00:00Z')
    const { award } = await sandbox({ now: time.now })
    expect((await award({ limit_to_once_per_calendar_day: false })).status).toBe(201)
    expect((await award({ limit_to_once_per_calendar_day: false })).status).toBe(201)
    expect((await award()).status).toBe(400) // an award of the perk today, flagged or not, counts
    expect((await award({ perk: 3002 })).status).toBe(201)
    expect((await award({ email: 'lee@example.com' })).status).toBe(201)

    const other = await sandbox({ now: time.now })
    expect((await other.award({ quantity: -1, limit_to_once_per_calendar_day: false })).status).toBe(201)
    expect((await other.award()).status).toBe(201)
  })

  it('answers field-keyed when started so, and refuses a flag that is not a boolean', async () => {
    const { award } = await sandbox({ dailyLimitAnswer: 'field' })
    expect((await award()).status).toBe(201)
    const refused = await award()
    expect(refused.status).toBe(400)
    expect(Object.keys(refused.body)).toEqual(['limit_to_once_per_calendar_day'])
    expect(refused.body.limit_to_once_per_calendar_day[0]).toMatch(
      /^Perk 3001 can be awarded once per calendar day/,
    )
    const bad = await award({ limit_to_once_per_calendar_day: 'yes', perk: 3002 })
    expect(bad).toEqual({
      status: 400,
      body: { errors: { limit_to_once_per_calendar_day: ['must be true or false'] } },
    })
  })

  it('checks the day before the key: a resend of an award that got through is refused as the daily limit', async () => {
    const { award, sb } = await sandbox({})
    expect((await award({ external_id: 'same' })).status).toBe(201)
    const again = await award({ external_id: 'same' })
    expect(again.status).toBe(400)
    expect(again.body.errors[0]).toContain('once per calendar day')
    expect(sb.transactions()).toHaveLength(1)
  })

  it('gives a data directory made before businesses had a time zone the default one', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pv-sandbox-tz-'))
    dirs.push(dataDir)
    const old = new Database(join(dataDir, 'sandbox.sqlite'))
    old.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE businesses (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
      INSERT INTO businesses VALUES (1001, 'Gym');
      INSERT INTO meta VALUES ('seeded', '2026-01-01T00:00:00Z');`)
    old.close()
    const { call } = await sandbox({ dataDir })
    expect((await call('GET', 'businesses/1001/')).body).toMatchObject({
      name: 'Gym',
      timezone: 'America/New_York',
    })
  })

  it('takes --daily-limit-answer on the command line, and refuses an unknown form', async () => {
    const child = await startSandboxChild(['--daily-limit-answer', 'field'])
    try {
      const post = () =>
        fetch(`${child.url}transactions/`, {
          method: 'POST',
          headers: { authorization: `Bearer ${child.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            business: 1001,
            location: 2001,
            perk: 3001,
            email: 'cli@example.com',
            quantity: 1,
            limit_to_once_per_calendar_day: true,
          }),
        })
      expect((await post()).status).toBe(201)
      const refused = await post()
      expect(refused.status).toBe(400)
      expect(Object.keys((await refused.json()) as object)).toEqual(['limit_to_once_per_calendar_day'])
    } finally {
      await child.stop()
    }
    const bad = await runCli(['sandbox', '--port', '0', '--daily-limit-answer', 'teapot'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('--daily-limit-answer must be one of error_codes, field, got "teapot"')
  })
})
