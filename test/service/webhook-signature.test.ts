import { createHmac } from 'node:crypto'
import { afterAll, describe, expect, test } from 'vitest'
import { removeDir, type ServeProcess, spawnServe, startServe, stopServe } from './helpers.js'

const SECRET = 'svc-webhook-secret'
const sign = (data: string) => createHmac('sha1', SECRET).update(data).digest('hex')
const running: ServeProcess[] = []
afterAll(async () => {
  for (const proc of running) {
    await stopServe(proc)
    removeDir(proc.dataDir)
  }
})

const event = (n: string) => ({
  type: 'track',
  event: 'Checked In',
  userId: `u-${n}`,
  messageId: `svc-${n}-${Date.now()}`,
  properties: { email: `${n}@example.com` },
})

const postHook = (url: string, body: string, signature: string) =>
  fetch(`${url}/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-signature': signature },
    body,
  }).then((res) => res.status)

describe('the built service and --webhook-signature', () => {
  test('default: only a whole-body signature passes', async () => {
    const proc = await startServe({ args: ['--webhook-secret', SECRET] })
    running.push(proc)
    const batch = [event('w1'), event('w2')]
    const body = JSON.stringify(batch)
    expect(await postHook(proc.url, body, sign(JSON.stringify(batch[0])))).toBe(401)
    expect(await postHook(proc.url, body, sign(body))).toBe(200)
    expect(proc.stdout()).not.toMatch(/first event only/)
  })

  test('first-event: warned about at start, first-event batches pass, a replayed signature does not', async () => {
    const proc = await startServe({
      args: ['--webhook-secret', SECRET, '--webhook-signature', 'first-event'],
      env: { PERKVILLE_LOG_LEVEL: 'warn' },
    })
    running.push(proc)
    expect(proc.stdout()).toMatch(/"level":40.*signed over their first event only/)
    const batch = [event('f1'), event('f2')]
    const seen = sign(JSON.stringify(batch[0]))
    expect(await postHook(proc.url, JSON.stringify(batch), seen)).toBe(200)
    expect(await postHook(proc.url, JSON.stringify([batch[0], event('f3')]), seen)).toBe(401)
  })

  test('an unknown value is refused at start, naming the option', async () => {
    const spawned = spawnServe({ args: ['--webhook-secret', SECRET, '--webhook-signature', 'first'] })
    expect((await spawned.exited).code).toBe(2)
    expect(spawned.stderr()).toMatch(
      /--webhook-signature \(command line\): must be one of whole-body, first-event/,
    )
    removeDir(spawned.dataDir)
  })
})
