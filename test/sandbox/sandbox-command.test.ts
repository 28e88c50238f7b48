import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli, startSandboxChild } from './child.js'

const dir = mkdtempSync(join(tmpdir(), 'pv-sandbox-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const body = {
  business: 1001,
  location: 2001,
  perk: 3001,
  email: 'cli@example.com',
  quantity: 2,
  send_email: false,
  trans_source_id: 'cli-1',
  transaction_dt: null,
}

describe('perkville-destination sandbox', () => {
  it('prints its URL and token, serves the API, and closes cleanly on SIGTERM and SIGINT', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const sb = await startSandboxChild()
      expect(sb.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v2\/$/)
      expect(sb.token).toBe('sandbox-token')
      expect((await fetch(`${sb.origin}/healthz`)).status).toBe(200)
      const res = await fetch(`${sb.url}businesses/1001/`, {
        headers: { authorization: `Bearer ${sb.token}` },
      })
      expect(await res.json()).toMatchObject({ name: 'Sandbox Fitness' })
      expect(await sb.stop(signal)).toBe(0)
      expect(sb.output()).toContain(`Perkville sandbox stopped (${signal})`)
    }
  })

  it('keeps its data across a restart with --data-dir', async () => {
    const dataDir = join(dir, 'data')
    const first = await startSandboxChild(['--data-dir', dataDir])
    const post = await fetch(`${first.url}transactions/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${first.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    expect(post.status).toBe(201)
    expect(await first.stop()).toBe(0)

    const second = await startSandboxChild(['--data-dir', dataDir])
    try {
      const all = (await (await fetch(`${second.origin}/_sandbox/transactions`)).json()) as {
        objects: { trans_source_id: string; points: number }[]
      }
      expect(all.objects).toEqual([expect.objectContaining({ trans_source_id: 'cli-1', points: 20 })])
    } finally {
      await second.stop()
    }
  })

  it('loads a seed file and takes fault options', async () => {
    const seed = join(dir, 'seed.json')
    writeFileSync(
      seed,
      JSON.stringify({ tokens: [{ token: 'seed-token' }], businesses: [{ id: 5, name: 'Five' }] }),
    )
    const sb = await startSandboxChild(['--seed', seed, '--rate-limit-rate', '1', '--retry-after', '5'])
    try {
      expect(sb.token).toBe('seed-token')
      const limited = await fetch(`${sb.url}businesses/5/`, {
        headers: { authorization: 'Bearer seed-token' },
      })
      expect(limited.status).toBe(429)
      expect(limited.headers.get('retry-after')).toBe('5')
      expect(await (await fetch(`${sb.origin}/_sandbox/faults`)).json()).toEqual({
        rateLimitRate: 1,
        retryAfter: 5,
      })
      await fetch(`${sb.origin}/_sandbox/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      })
      const ok = await fetch(`${sb.url}businesses/5/`, { headers: { authorization: 'Bearer seed-token' } })
      expect(await ok.json()).toMatchObject({ id: 5, name: 'Five' })
    } finally {
      await sb.stop()
    }
  })

  it('answers a duplicate trans_source_id as --duplicate-answer says, and records it again with --no-dedup', async () => {
    const post = (sb: { url: string; token: string }) =>
      fetch(`${sb.url}transactions/`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sb.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    for (const [args, status] of [
      [[], 409],
      [['--duplicate-answer', '400'], 400],
      [['--duplicate-answer', 'existing'], 200],
      [['--no-dedup'], 201],
    ] as const) {
      const sb = await startSandboxChild([...args])
      try {
        expect((await post(sb)).status).toBe(201)
        expect((await post(sb)).status, args.join(' ')).toBe(status)
        const behaviour = await (await fetch(`${sb.origin}/_sandbox/behaviour`)).json()
        expect(behaviour).toMatchObject({ dedup: !args.includes('--no-dedup' as never) })
      } finally {
        await sb.stop()
      }
    }
    const refusing = await startSandboxChild(['--no-lookup-filter'])
    try {
      const lookup = await fetch(`${refusing.url}transactions/?business=1001&trans_source_id=cli-1`, {
        headers: { authorization: `Bearer ${refusing.token}` },
      })
      expect(lookup.status).toBe(400)
    } finally {
      await refusing.stop()
    }
  })

  it('exits 2 with a clear message on bad options or a bad seed file', async () => {
    const badSeed = join(dir, 'bad-seed.json')
    writeFileSync(badSeed, JSON.stringify({ businesses: [{ id: 'x' }] }))
    const cases: [string[], RegExp][] = [
      [['--error-rate', '2'], /errorRate/],
      [['--error-rate', 'lots'], /--error-rate must be a number/],
      [['--commit-then-fail-mode', 'explode'], /commitThenFailMode/],
      [['--duplicate-answer', '418'], /duplicateAnswer/],
      [['--port', 'eighty'], /--port must be a whole number/],
      [['--memory', '--data-dir', dir], /not both/],
      [['--seed', badSeed], /invalid seed file .*businesses\.0\.id/],
      [['--seed', join(dir, 'nope.json')], /cannot read seed file/],
    ]
    for (const [args, message] of cases) {
      const { code, stderr } = await runCli(['sandbox', '--port', '0', ...args])
      expect(code, args.join(' ')).toBe(2)
      expect(stderr, args.join(' ')).toMatch(message)
    }
  })
})
