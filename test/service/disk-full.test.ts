import { execFileSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, rmdirSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type RunningSandbox, startSandbox } from '../../src/sandbox/index.js'
import {
  basicAuth,
  eventually,
  removeDir,
  type ServeProcess,
  startServe,
  stopServe,
  tempDir,
  writeSandboxSettings,
} from './helpers.js'

const WRITE_KEY = 'wk_diskfull_0123456789'

/** A 24 MB tmpfs of our own: filling it is a real full disk. Needs root (mount); skipped otherwise. */
function mountSmallDisk(): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'disk-full-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m,mode=0755', 'tmpfs', dir], { stdio: 'pipe' })
    return dir
  } catch {
    rmdirSync(dir)
    return null
  }
}

/** Writes zeros until the file system refuses (ENOSPC). */
function fill(file: string): void {
  const fd = openSync(file, 'w')
  const chunk = Buffer.alloc(64 * 1024)
  try {
    for (;;) writeSync(fd, chunk)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err
  } finally {
    closeSync(fd)
  }
}

const disk = mountSmallDisk()
let sandbox: RunningSandbox
let settingsDir: string
let proc: ServeProcess

beforeAll(async () => {
  if (disk === null) return
  sandbox = await startSandbox({ memory: true })
  settingsDir = tempDir('disk-full-settings-')
  const settings = writeSandboxSettings(settingsDir, sandbox.token)
  proc = await startServe({
    dataDir: disk,
    args: ['--perkville-url', sandbox.url, '--settings', settings, '--write-key', WRITE_KEY],
  })
})
afterAll(async () => {
  if (disk === null) return
  if (proc) await stopServe(proc)
  await sandbox?.close()
  removeDir(settingsDir)
  execFileSync('umount', [disk])
  rmdirSync(disk)
})

let n = 0
const event = (email: string) => ({
  type: 'track',
  event: 'Checked In',
  userId: email,
  messageId: `disk-${Date.now()}-${++n}`,
  properties: { email, padding: 'x'.repeat(2_000) },
})
const batch = async (events: unknown[]) =>
  (
    await fetch(`${proc.url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth(WRITE_KEY) },
      body: JSON.stringify({ batch: events }),
    })
  ).status
const readyz = async () => {
  const res = await fetch(`${proc.url}/readyz`)
  return { status: res.status, json: (await res.json()) as { reasons: string[] } }
}

describe.skipIf(disk === null)('SQLite on a full disk (a real tmpfs)', () => {
  test('ingest and /readyz say 503 while writes fail; once space is back, in-flight claims are released at once', async () => {
    // Two events for each of three customers; the first of each is in flight at Perkville (slowed) when the disk fills.
    sandbox.setFaults({ latencyMs: 1_500, scope: 'writes' })
    const customers = ['full-a@example.com', 'full-b@example.com', 'full-c@example.com']
    const events = customers.flatMap((email) => [event(email), event(email)])
    expect(await batch(events)).toBe(200)
    await sleep(300)
    const filler = join(disk!, 'filler')
    fill(filler)

    expect(await batch(customers.map(event))).toBe(503)
    const notReady = await readyz()
    expect(notReady.status).toBe(503)
    expect(notReady.json.reasons.join(' ')).toMatch(
      /storage is not available: writes have failed since \S+: the disk is full/,
    )
    // The heads reach Perkville, but their outcome cannot be recorded.
    await eventually(() => (sandbox.transactions().length >= 3 ? true : undefined), 10_000, 'heads delivered')
    await sleep(500)
    sandbox.setFaults({})

    rmSync(filler)
    // Well within the 2-minute lease: everything is delivered, each event exactly once.
    await eventually(
      () => (sandbox.transactions().length >= 6 ? true : undefined),
      15_000,
      'all six delivered',
    )
    expect((await readyz()).status).toBe(200)
    expect(proc.stdout()).toMatch(/"released":[1-3],.*storage writes work again/)
    const ids = sandbox.transactions().map((tx) => tx.trans_source_id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(await batch(customers.map(event))).toBe(200)
  }, 60_000)
})
