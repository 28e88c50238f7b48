import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import type { Transaction } from '../../src/core/types.js'
import {
  boundAnswerJson,
  boundErrorText,
  MAX_ANSWER_READ_BYTES,
  MAX_ERROR_CHARS,
  MAX_STORED_ANSWER_BYTES,
} from '../../src/perkville/bounded-body.js'
import { createPerkvilleClient } from '../../src/perkville/client.js'

// Issue 22 item 2: the read itself stops past a limit, rather than buffering megabytes to cut them.
describe('reading an answer', () => {
  it('stops past 1 MB: a 64 MB answer is neither read to its end nor kept', async () => {
    const TOTAL = 64 * 1024 * 1024
    const chunk = Buffer.alloc(64 * 1024, 'x')
    let finished = false
    let written = 0
    let closed!: Promise<void>
    const server = createServer((_req, res) => {
      closed = new Promise((done) => res.on('close', done))
      res.writeHead(503, { 'content-type': 'text/plain', 'content-length': String(TOTAL) })
      const pump = () => {
        while (written < TOTAL) {
          written += chunk.length
          if (!res.write(chunk)) return void res.once('drain', pump)
        }
        res.end()
      }
      res.on('finish', () => {
        finished = true
      })
      pump()
    })
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
    const { port } = server.address() as AddressInfo
    const client = createPerkvilleClient({ baseUrl: `http://127.0.0.1:${port}/v2/`, token: 'tok-read-limit' })
    try {
      const attempt = await client.postTransaction(TX, 'ext-1')
      expect(attempt.result).toMatchObject({ class: 'temporary', status: 503 })
      expect(attempt.response?.headers['content-length']).toBe(String(TOTAL))
      expect(typeof attempt.response?.body).toBe('string')
      expect(String(attempt.response?.body).length).toBe(MAX_ANSWER_READ_BYTES)
      await closed
      // The client hung up: the server never got to write the whole answer.
      expect(finished).toBe(false)
      expect(written).toBeLessThan(TOTAL)
    } finally {
      await client.close()
      server.closeAllConnections()
      await new Promise((done) => server.close(done))
    }
  }, 60_000)
})

const TX: Transaction = {
  perkId: '3001',
  email: 'a@b.co',
  businessId: '1',
  locationId: '2',
  sendEmail: false,
  quantity: 1,
  kind: 'event',
  orderId: null,
  messageId: 'm',
  timestamp: null,
}

describe('keeping an answer', () => {
  it('an answer over 8 KB keeps its status, headers and start, with the full size; any text fits', () => {
    for (const body of [
      'a'.repeat(100_000),
      '"\u0000\n'.repeat(50_000),
      'é😀'.repeat(40_000),
      { detail: 'x'.repeat(9000) },
    ]) {
      const json = JSON.stringify({ status: 503, headers: { 'retry-after': '5' }, body })
      const kept = boundAnswerJson(json)!
      expect(Buffer.byteLength(kept, 'utf8')).toBeLessThanOrEqual(MAX_STORED_ANSWER_BYTES)
      const text = typeof body === 'string' ? body : JSON.stringify(body)
      const parsed = JSON.parse(kept)
      expect(parsed).toMatchObject({
        status: 503,
        headers: { 'retry-after': '5' },
        body: { truncated: true, bytes: Buffer.byteLength(text, 'utf8') },
      })
      expect(text.startsWith(parsed.body.head.replace(/\uFFFD$/, ''))).toBe(true)
      expect(parsed.body.head.length).toBeGreaterThan(1000)
    }
    const small = JSON.stringify({ status: 500, headers: {}, body: 'oops' })
    expect(boundAnswerJson(small)).toBe(small)
    expect(boundAnswerJson(null)).toBeNull()
  })

  it('an error text over 500 characters ends saying how long it was', () => {
    expect(boundErrorText('short')).toBe('short')
    const cut = boundErrorText(`HTTP 503: ${'😀'.repeat(1000)}`)
    expect(cut.length).toBeLessThanOrEqual(MAX_ERROR_CHARS)
    expect(cut).toMatch(/^HTTP 503: (😀)+\uFFFD?… \[cut: 2010 characters\]$/)
  })
})
