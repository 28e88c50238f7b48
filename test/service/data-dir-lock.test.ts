import { spawn } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, describe, expect, it } from 'vitest'
import { lockDataDir } from '../../src/server/data-dir-lock.js'
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

  // Issue 22 item 12: a process killed but not yet reaped (a zombie) answered kill(pid, 0), so the
  // lock it left was honoured and an immediate restart after kill -9 was refused.
  it.runIf(process.platform === 'linux')(
    'a lock held by a killed process its parent has not reaped yet is taken over',
    async () => {
      const dataDir = tempDir('perkville-lock-')
      dirs.push(dataDir)
      // `exec sleep` becomes the parent of the background sleep and never waits for it.
      const parent = spawn('sh', ['-c', 'sleep 300 & echo $!; exec sleep 300'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      })
      try {
        const pid = Number(
          await new Promise<string>((done) => parent.stdout.once('data', (b: Buffer) => done(String(b)))),
        )
        // Kill only once the shell has become `sleep`: a shell still running would reap its child
        // itself (seen in CI: the zombie never appeared and /proc/<pid> was gone).
        const parentCmd = () => readFileSync(`/proc/${parent.pid}/cmdline`, 'utf8').split('\0')[0]
        while (parentCmd() !== 'sleep') await sleep(10)
        process.kill(pid, 'SIGKILL')
        const state = () => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0]
        while (state() !== 'Z') await sleep(10)
        const lockPath = join(dataDir, 'service.lock')
        const held = { pid, host: hostname(), startedAt: new Date().toISOString() }
        writeFileSync(lockPath, `${JSON.stringify(held)}\n`)
        const lock = lockDataDir(dataDir)
        expect(JSON.parse(readFileSync(lockPath, 'utf8')).pid).toBe(process.pid)
        lock.release()
      } finally {
        parent.kill('SIGKILL')
      }
    },
  )

  it('kill -9 then an immediate restart starts, every time', async () => {
    const dataDir = tempDir('perkville-lock-')
    dirs.push(dataDir)
    let proc = await startServe({ dataDir, args: ['--write-key', WRITE_KEY] })
    for (let i = 0; i < 4; i++) {
      proc.child.kill('SIGKILL')
      // No wait for the exit: the next one starts while the killed one may still be unreaped.
      const next = await startServe({ dataDir, args: ['--write-key', WRITE_KEY] })
      await proc.exited
      proc = next
    }
    running.push(proc)
    expect(JSON.parse(readFileSync(join(dataDir, 'service.lock'), 'utf8')).pid).toBe(proc.child.pid)
  }, 120_000)
})
