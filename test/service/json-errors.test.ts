import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  basicAuth,
  removeDir,
  type ServeProcess,
  spawnServe,
  startServe,
  stopServe,
  tempDir,
} from './helpers.js'

const WRITE_KEY = 'wk_json_0123456789abcdef'
const ADMIN = 'adm_json_token_abcdef'
/** A secret with an unexpected token right before it: V8's message would quote ~10 characters here. */
const broken = (secret: string) => `{"pad":"${'x'.repeat(40)}","writeKey": ${secret}, "event": "Checked In"}`
/** Any 6 characters in a row of the secret showing up means a piece of it leaked. */
const leaks = (text: string, secret: string) =>
  Array.from({ length: secret.length - 5 }, (_, i) => secret.slice(i, i + 6)).some((piece) =>
    text.includes(piece),
  )

let proc: ServeProcess
beforeAll(async () => {
  proc = await startServe({
    args: ['--write-key', WRITE_KEY, '--admin-token', ADMIN, '--webhook-secret', 'hook-secret'],
    env: { PERKVILLE_LOG_LEVEL: 'debug' },
  })
})
afterAll(async () => {
  await stopServe(proc)
  removeDir(proc.dataDir)
})

describe('invalid JSON is located, never quoted', () => {
  test('tracking API, webhook and admin API answer line, column and byte offset, and log no piece of the body', async () => {
    const body = broken(WRITE_KEY)
    const offset = body.indexOf('wk_')
    const where = `invalid JSON at line 1, column ${offset + 1} (byte offset ${offset}): expected a value`
    const requests: Array<[string, Record<string, string>]> = [
      ['/v1/batch', { authorization: basicAuth(WRITE_KEY) }],
      ['/v1/t', { 'content-type': 'text/plain' }],
      ['/webhook', { 'x-signature': '0'.repeat(40) }],
      ['/admin/replay', { authorization: `Bearer ${ADMIN}` }],
    ]
    for (const [path, headers] of requests) {
      const res = await fetch(`${proc.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      })
      const text = await res.text()
      expect(res.status, path).toBe(400)
      expect(JSON.parse(text).error, path).toMatch(where)
      expect(leaks(text, WRITE_KEY), path).toBe(false)
    }
    // Multi-line: the line and column of the error, and its UTF-8 byte offset.
    const res = await fetch(`${proc.url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth(WRITE_KEY) },
      body: '{\n  "batch": [\n    {"é": }\n  ]\n}',
    })
    expect((await res.json()).error).toBe(
      'invalid JSON at line 3, column 11 (byte offset 26): expected a value (object, array, string, number, true, false or null)',
    )
    expect(proc.stdout()).toMatch(/invalid JSON at line 1/)
    expect(leaks(proc.stdout() + proc.stderr(), WRITE_KEY)).toBe(false)
  })
})

describe('a config or settings file with a syntax error', () => {
  let dir: string
  beforeAll(() => {
    dir = tempDir('perkville-json-files-')
  })
  afterAll(() => removeDir(dir))

  test.each([
    ['--config', 'config.json', 'Xq7Kz9Wp3Lm5Rt8Vb2'],
    ['--settings', 'settings.json', 'Hj4Nc6Yd1Gs0Pf3Ue7'],
  ])('%s: says where, quotes nothing', async (flag, name, secret) => {
    const file = join(dir, name)
    writeFileSync(file, `{\n  "port": 1,\n  "adminToken": ${secret}\n}`)
    const spawned = spawnServe({ dataDir: dir, args: [flag, file] })
    expect((await spawned.exited).code).toBe(2)
    const output = spawned.stderr() + spawned.stdout()
    expect(output).toMatch(/not valid JSON at line 3, column 17 \(byte offset 31\): expected a value/)
    expect(leaks(output, secret)).toBe(false)
  })
})
