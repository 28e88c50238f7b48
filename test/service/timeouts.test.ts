import { connect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { basicAuth, removeDir, type ServeProcess, spawnServe, startServe, stopServe } from './helpers.js'

const WRITE_KEY = 'wk_timeouts_0123456789'
let proc: ServeProcess
beforeAll(async () => {
  proc = await startServe({
    args: ['--write-key', WRITE_KEY, '--headers-timeout', '600ms', '--request-timeout', '1500ms'],
  })
})
afterAll(async () => {
  await stopServe(proc)
  removeDir(proc.dataDir)
})

/** Opens a raw connection, sends `head`, then one byte of `rest` every `everyMs`; resolves with what came back once closed. */
function trickle(
  head: string,
  rest: string,
  everyMs: number,
): Promise<{ answer: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const socket = connect(proc.port, '127.0.0.1')
    let answer = ''
    let sent = 0
    let timer: NodeJS.Timeout | undefined
    socket.on('connect', () => {
      socket.write(head)
      timer = setInterval(() => {
        if (sent < rest.length && !socket.destroyed) socket.write(rest[sent++]!)
      }, everyMs)
    })
    socket.on('data', (chunk) => {
      answer += chunk.toString('utf8')
    })
    socket.on('error', () => undefined)
    socket.on('close', () => {
      clearInterval(timer)
      resolve({ answer, closedAfterMs: Date.now() - started })
    })
    setTimeout(() => {
      socket.destroy()
      reject(new Error(`the connection was still open after 20 s; got so far: ${answer}`))
    }, 20_000).unref()
  })
}

describe('slow clients', () => {
  test('a body trickled slowly gets 408 and the connection is closed once the request timeout passes', async () => {
    const body = JSON.stringify({ batch: [{ type: 'track', event: 'Checked In', userId: 'u' }] })
    const head =
      'POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
      `Authorization: ${basicAuth(WRITE_KEY)}\r\nContent-Length: ${body.length}\r\n\r\n`
    const { answer, closedAfterMs } = await trickle(head, body, 200)
    expect(answer).toMatch(/^HTTP\/1\.1 408 /)
    expect(answer).toMatch(/connection: close/i)
    expect(answer).toContain('"code":"REQUEST_TIMEOUT"')
    expect(closedAfterMs).toBeGreaterThanOrEqual(1_400)
    expect(closedAfterMs).toBeLessThan(6_000)
  })

  test('headers trickled slowly get 408 once the headers timeout passes', async () => {
    const { answer, closedAfterMs } = await trickle(
      'GET /healthz HTTP/1.1\r\n',
      'X-Slow: aaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n',
      150,
    )
    expect(answer).toMatch(/^HTTP\/1\.1 408 /)
    expect(closedAfterMs).toBeLessThan(4_000)
  })

  test('a connection that sends nothing is closed too', async () => {
    const { closedAfterMs } = await trickle('', '', 1_000)
    expect(closedAfterMs).toBeLessThan(4_000)
  })

  test('a client that keeps up is served as usual', async () => {
    await sleep(10)
    const res = await fetch(`${proc.url}/healthz`)
    expect(res.status).toBe(200)
  })

  test('a headers timeout longer than the request timeout is refused at start', async () => {
    const spawned = spawnServe({ args: ['--headers-timeout', '40s', '--request-timeout', '30s'] })
    expect((await spawned.exited).code).toBe(2)
    expect(spawned.stderr()).toMatch(
      /--headers-timeout \(command line\) must not be longer than --request-timeout/,
    )
    removeDir(spawned.dataDir)
  })
})
