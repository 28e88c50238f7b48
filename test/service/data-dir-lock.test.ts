import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  basicAuth,
  eventually,
  removeDir,
  type ServeProcess,
  spawnServe,
  startServe,
  stopServe,
  tempDir,
} from './helpers.js'

const WRITE_KEY = 'wk_lock_test'
const dirs: string[] = []
const running: ServeProcess[] = []
afterAll(async () => {
  for (const proc of running) await stopServe(proc, 'SIGKILL')
  for (const dir of dirs) removeDir(dir)
})

async function track(url: string, messageId: string): Promise<number> {
  const res = await fetch(`${url}/v1/track`, {
    method: 'POST',
    headers: { authorization: basicAuth(WRITE_KEY), 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'track',
      event: 'Checked In',
      userId: 'u1',
      messageId,
      properties: { email: 'lock@example.com' },
    }),
  })
  return res.status
}

async function sandboxTransactions(sandboxUrl: string): Promise<string[]> {
  const res = await fetch(`${new URL(sandboxUrl).origin}/_sandbox/transactions`)
  const body = (await res.json()) as { objects: { trans_source_id: string }[] }
  return body.objects.map((t) => t.trans_source_id)
}

describe('one instance per data directory', () => {
  it('a second instance on the same directory exits 2 at once, naming the directory and the holder, and the first keeps delivering', async () => {
    const dataDir = tempDir('perkville-lock-')
    dirs.push(dataDir)
    const first = await startServe({ dataDir, args: ['--write-key', WRITE_KEY] })
    running.push(first)
    const before = readdirSync(dataDir).sort()
    const lockBefore = readFileSync(join(dataDir, 'service.lock'), 'utf8')

    const started = Date.now()
    const second = spawnServe({ dataDir, args: ['--write-key', WRITE_KEY] })
    const exit = await second.exited
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(exit.code).toBe(2)
    expect(second.stderr()).toContain(`the data directory ${dataDir} is in use by process ${first.child.pid}`)
    expect(second.stderr()).not.toContain(WRITE_KEY)
    // It touched nothing: same files (its own ready file was never written), same lock.
    expect(readdirSync(dataDir).sort()).toEqual(before)
    expect(readFileSync(join(dataDir, 'service.lock'), 'utf8')).toBe(lockBefore)

    expect(await track(first.url, 'lock-after-second')).toBe(200)
    await eventually(
      async () =>
        (await sandboxTransactions(first.sandboxUrl!)).includes('lock-after-second') ? true : undefined,
      15_000,
      'the first instance to deliver',
    )
  })

  it('a lock left by a killed instance is taken over, and a clean stop removes it', async () => {
    const dataDir = tempDir('perkville-lock-')
    dirs.push(dataDir)
    const first = await startServe({ dataDir, args: ['--write-key', WRITE_KEY] })
    await stopServe(first, 'SIGKILL')
    expect(readdirSync(dataDir)).toContain('service.lock')
    const again = await startServe({ dataDir, args: ['--write-key', WRITE_KEY] })
    running.push(again)
    expect(JSON.parse(readFileSync(join(dataDir, 'service.lock'), 'utf8')).pid).toBe(again.child.pid)
    await stopServe(again, 'SIGTERM')
    expect(readdirSync(dataDir)).not.toContain('service.lock')
  })
})
