import { chmodSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import {
  basicAuth,
  removeDir,
  restartServe,
  type ServeProcess,
  startServe,
  stopServe,
  tempDir,
} from './helpers.js'

const WRITE_KEY = 'wk_datadir_0123456789'
const parent = tempDir('data-dir-modes-')
const dataDir = join(parent, 'data')
const mode = (path: string) => (statSync(path).mode & 0o777).toString(8)
let proc: ServeProcess | null = null

afterAll(async () => {
  if (proc) await stopServe(proc)
  removeDir(parent)
})

const track = async (url: string) =>
  (
    await fetch(`${url}/v1/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth(WRITE_KEY) },
      body: JSON.stringify({
        type: 'track',
        event: 'Checked In',
        userId: 'u1',
        properties: { email: 'modes@example.com' },
      }),
    })
  ).status

describe('the data directory', () => {
  test('is created 0700, the database and its -wal/-shm files 0600; nothing to warn about', async () => {
    proc = await startServe({ dataDir, cwd: parent, args: ['--write-key', WRITE_KEY] })
    expect(await track(proc.url)).toBe(200)
    expect(mode(dataDir)).toBe('700')
    const db = join(dataDir, 'destination.db')
    expect([mode(db), mode(`${db}-wal`), mode(`${db}-shm`)]).toEqual(['600', '600', '600'])
    expect(proc.stdout()).not.toMatch(/other users|DATABASE IS MISSING/)
  })

  test('an existing directory or database readable by others is reported at start', async () => {
    await stopServe(proc!)
    chmodSync(dataDir, 0o755)
    chmodSync(join(dataDir, 'destination.db'), 0o644)
    proc = await restartServe(proc!)
    expect(proc.stdout()).toMatch(
      /"level":40.*"paths":\[[^\]]*data","[^\]]*destination\.db"\].*read by other users/,
    )
  })

  test('a directory an earlier store used whose database is gone: a loud warning at start', async () => {
    await stopServe(proc!)
    for (const suffix of ['', '-wal', '-shm'])
      rmSync(join(dataDir, `destination.db${suffix}`), { force: true })
    proc = await restartServe(proc!)
    expect(proc.stdout()).toMatch(
      /"level":50.*"found":\[[^\]]*"admin-token"[^\]]*\].*THE DATABASE IS MISSING/,
    )
  })
})
