import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { BodyBudget } from '../../src/server/body-budget.js'
import { REQUEST_LIMIT_BYTES } from '../../src/server/limits.js'
import { bodyBytes, takeRawBodies } from '../../src/server/raw-body.js'

const settled = async (p: Promise<unknown>) => {
  let done = false
  void p.then(() => {
    done = true
  })
  await new Promise((r) => setTimeout(r, 20))
  return done
}

async function until(condition: () => boolean, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
}

describe('BodyBudget', () => {
  it('admits requests while their bytes fit, then first come first served as bytes come back', async () => {
    const budget = new BodyBudget(1_000)
    const a = await budget.acquire(600)
    const b = budget.acquire(600)
    const c = budget.acquire(100)
    // c would fit, but b came first: a large body is not passed over.
    expect(await settled(b)).toBe(false)
    expect(await settled(c)).toBe(false)
    expect(budget.queued).toBe(2)
    a()
    a()
    const releaseB = await b
    const releaseC = await c
    expect(budget.used).toBe(700)
    releaseB()
    releaseC()
    expect(budget.used).toBe(0)
  })

  it('lets a body larger than the whole budget in, alone', async () => {
    const budget = new BodyBudget(1_000)
    const small = await budget.acquire(10)
    const huge = budget.acquire(5_000)
    expect(await settled(huge)).toBe(false)
    small()
    const release = await huge
    expect(budget.used).toBe(1_000)
    expect(await settled(budget.acquire(1))).toBe(false)
    release()
  })

  it('counts a body by its headers: the length, the most for chunked, the decoded copy when compressed', () => {
    expect(bodyBytes({ 'content-length': '2000' })).toBe(2_000)
    expect(bodyBytes({})).toBe(0)
    expect(bodyBytes({ 'transfer-encoding': 'chunked' })).toBe(1024 * 1024)
    expect(bodyBytes({ 'content-length': '9999999' })).toBe(1024 * 1024)
    expect(bodyBytes({ 'content-length': '300', 'content-encoding': 'gzip' })).toBe(300 + REQUEST_LIMIT_BYTES)
  })
})

describe('takeRawBodies with a budget (a real HTTP server)', () => {
  let app: FastifyInstance | null = null
  afterEach(async () => {
    await app?.close()
    app = null
  })

  async function server(budget: BodyBudget) {
    app = Fastify()
    let reading = 0
    let mostReading = 0
    await app.register(async (scope) => {
      takeRawBodies(scope, budget)
      scope.addHook('preParsing', async (request) => {
        if (request.method !== 'POST') return
        reading++
        mostReading = Math.max(mostReading, reading)
      })
      scope.post('/in', async (request) => {
        reading--
        return { bytes: (request.body as Buffer).length }
      })
      scope.get('/in', async () => ({ ok: true }))
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = app.server.address() as AddressInfo
    return { port, mostReading: () => mostReading }
  }

  /** A POST whose body is sent in two parts: `first` bytes now, the rest when `finish()` is called. */
  function slowPost(port: number, length: number, first: number) {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      path: '/in',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(length) },
    })
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.on('response', (res) => {
        let body = ''
        res.on('data', (c) => {
          body += c
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      })
      req.on('error', reject)
    })
    req.write('x'.repeat(first))
    return { answer, finish: () => req.end('x'.repeat(length - first)), req }
  }

  it('reads no body past the budget until an answer gives bytes back; requests without a body pass', async () => {
    const budget = new BodyBudget(1_000)
    const { port, mostReading } = await server(budget)
    const a = slowPost(port, 800, 100)
    await until(() => budget.used === 800)
    const b = slowPost(port, 500, 500)
    b.finish()
    expect(await settled(b.answer)).toBe(false)
    await new Promise((r) => setTimeout(r, 200))
    expect(await settled(b.answer)).toBe(false)
    expect(budget.queued).toBe(1)
    // No body, no share: a GET is answered while the budget is spent.
    const get = await fetch(`http://127.0.0.1:${port}/in`)
    expect(get.status).toBe(200)
    a.finish()
    expect(await a.answer).toEqual({ status: 200, body: JSON.stringify({ bytes: 800 }) })
    expect(await b.answer).toEqual({ status: 200, body: JSON.stringify({ bytes: 500 }) })
    expect(mostReading()).toBe(1)
    await new Promise((r) => setTimeout(r, 20))
    expect(budget.used).toBe(0)
  })

  it('gives the bytes back when the client goes away before its body is read', async () => {
    const budget = new BodyBudget(1_000)
    const { port } = await server(budget)
    const a = slowPost(port, 900, 10)
    a.answer.catch(() => {})
    const waiting = slowPost(port, 900, 10)
    waiting.answer.catch(() => {})
    await until(() => budget.queued === 1)
    expect(budget.used).toBe(900)
    waiting.req.destroy()
    a.req.destroy()
    await until(() => budget.used === 0 && budget.queued === 0)
    expect(budget.used).toBe(0)
    expect(budget.queued).toBe(0)
  })
})
