import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import { afterEach, expect, test } from 'vitest'
import type { DeliveryService, LiveEvent } from '../../src/pipeline/service-api.js'
import { LiveStreams, MAX_UNREAD_BYTES } from '../../src/server/live-feed.js'

// The live feed's bounded buffer over a real HTTP connection: a client that stops reading must not
// make the server hold every event for it. The pipeline side is only its onEvent subscription here.
const listeners = new Set<(e: LiveEvent) => void>()
const service = {
  onEvent(listener: (e: LiveEvent) => void) {
    listeners.add(listener)
    return () => listeners.delete(listener)
  },
} as unknown as DeliveryService
const app = Fastify()
const streams = new LiveStreams()
let unread = 0
app.get('/live', async (req, reply) => {
  streams.open(req, reply, service, { errorsOnly: false })
  // The server-side socket of this stream, to see how much it holds unread.
  const raw = reply.raw
  const probe = setInterval(() => {
    unread = Math.max(unread, raw.writableLength)
  }, 1)
  raw.on('close', () => clearInterval(probe))
})

afterEach(async () => {
  streams.closeAll()
  await app.close()
})

function event(i: number): LiveEvent {
  return {
    id: String(i),
    receivedAt: new Date().toISOString(),
    status: 'pending',
    code: null,
    message: 'x'.repeat(200),
    kind: 'event',
    eventName: 'Checked In',
    email: `live-${i}@example.com`,
    orderId: null,
    messageId: `m-${i}`,
    audienceKey: null,
    writeKeySource: 'write key 1',
    userId: null,
    anonymousId: null,
    quantity: 1,
    perkId: '3001',
  }
}

test('a client that stops reading misses events (told how many) instead of growing the server memory', async () => {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const res = await new Promise<import('node:http').IncomingMessage>((resolve) =>
    request({ host: '127.0.0.1', port, path: '/live' }, resolve).end(),
  )
  expect(res.headers['content-type']).toMatch(/text\/event-stream/)
  res.pause()
  // Far more than the kernel's socket buffers and our bound together: ~40 MB of events.
  for (let round = 0; round < 100; round++) {
    for (let i = 0; i < 1_000; i++) for (const l of listeners) l(event(round * 1_000 + i))
    await new Promise((r) => setTimeout(r, 2))
  }
  expect(unread).toBeGreaterThan(0)
  expect(unread).toBeLessThanOrEqual(MAX_UNREAD_BYTES + 2_048)
  // Reading again: the next event is announced after a gap saying how many were missed.
  let text = ''
  res.setEncoding('utf8')
  res.on('data', (chunk: string) => {
    text += chunk
  })
  res.resume()
  await new Promise((r) => setTimeout(r, 200))
  for (const l of listeners) l(event(999_999))
  const deadline = Date.now() + 10_000
  while (!text.includes('m-999999') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
  expect(text).toContain('"messageId":"m-999999"')
  // Every event was either sent or counted in a gap: none went missing unannounced.
  const missed = [...text.matchAll(/event: gap\ndata: \{"missed":(\d+)\}/g)].reduce(
    (n, m) => n + Number(m[1]),
    0,
  )
  const sent = text.split('event: event\n').length - 1
  expect(missed).toBeGreaterThan(50_000)
  expect(sent + missed).toBe(100_001)
  res.destroy()
})
