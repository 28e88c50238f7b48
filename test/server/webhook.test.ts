import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { eventually } from '../service/helpers.js'
import { AUTH, checkIn, post, startTestService, type TestService } from './fixture.js'

const SECRET = 'webhook-shared-secret'
const sign = (data: string, secret = SECRET) => createHmac('sha1', secret).update(data).digest('hex')

let signed: TestService
let open: TestService

beforeAll(async () => {
  ;[signed, open] = await Promise.all([startTestService({ webhookSecret: SECRET }), startTestService()])
})
afterAll(async () => {
  await Promise.all([signed?.close(), open?.close()])
})

const waitDelivered = (svc: TestService, email: string) =>
  eventually(
    () => svc.sandbox.transactions().find((tx) => tx.email === email),
    10_000,
    `an award for ${email}`,
  )

describe('with a shared secret', () => {
  test('a single event with a good signature is accepted and delivered', async () => {
    const body = JSON.stringify(checkIn('hook-single@example.com'))
    const res = await post(`${signed.url}/webhook`, body, { 'x-signature': sign(body) })
    expect(res.status).toBe(200)
    expect(res.json).toEqual({ success: true })
    await waitDelivered(signed, 'hook-single@example.com')
  })

  test('a batch signed over its first event (as Segment signs batches) is accepted', async () => {
    const events = [checkIn('hook-b1@example.com'), checkIn('hook-b2@example.com')]
    const body = JSON.stringify(events)
    const res = await post(`${signed.url}/webhook`, body, { 'x-signature': sign(JSON.stringify(events[0])) })
    expect(res.status).toBe(200)
    await waitDelivered(signed, 'hook-b1@example.com')
    await waitDelivered(signed, 'hook-b2@example.com')
  })

  test('a {"batch":[...]} body signed over the whole raw body is accepted', async () => {
    const body = JSON.stringify({ batch: [checkIn('hook-obj@example.com')] })
    expect((await post(`${signed.url}/webhook`, body, { 'x-signature': sign(body) })).status).toBe(200)
    await waitDelivered(signed, 'hook-obj@example.com')
  })

  test('a bad, foreign-key or missing signature is a 401 and nothing is delivered', async () => {
    const body = JSON.stringify(checkIn('hook-bad@example.com'))
    const tampered = body.replace('hook-bad', 'hook-bad2')
    const cases: Array<Record<string, string>> = [
      { 'x-signature': sign(body, 'another-secret') },
      { 'x-signature': sign(body).replace(/^./, (c) => (c === '0' ? '1' : '0')) },
      { 'x-signature': 'not-hex' },
      {},
      // A valid write key does not replace the signature once a secret is configured.
      AUTH,
    ]
    for (const headers of cases) {
      const res = await post(`${signed.url}/webhook`, body, headers)
      expect(res.status).toBe(401)
      expect(res.json?.success).toBe(false)
    }
    const res = await post(`${signed.url}/webhook`, tampered, { 'x-signature': sign(body) })
    expect(res.status).toBe(401)
    // A batch whose signature matches neither the body nor the first event.
    const batch = JSON.stringify([checkIn('hook-bad@example.com')])
    expect((await post(`${signed.url}/webhook`, batch, { 'x-signature': sign('[]') })).status).toBe(401)
    // Give a wrongly accepted event time to show up before checking it did not.
    const marker = JSON.stringify(checkIn('hook-marker@example.com'))
    expect((await post(`${signed.url}/webhook`, marker, { 'x-signature': sign(marker) })).status).toBe(200)
    await waitDelivered(signed, 'hook-marker@example.com')
    expect(signed.sandbox.transactions().filter((tx) => tx.email.startsWith('hook-bad'))).toEqual([])
  })
})

describe('without a secret', () => {
  test('a write key is required (Basic), and then single events and batches are accepted', async () => {
    const single = JSON.stringify(checkIn('open-single@example.com'))
    expect((await post(`${open.url}/webhook`, single)).status).toBe(401)
    expect((await post(`${open.url}/webhook`, single, { 'x-signature': sign(single) })).status).toBe(401)
    expect((await post(`${open.url}/webhook`, single, AUTH)).status).toBe(200)
    const batch = JSON.stringify([checkIn('open-b1@example.com'), checkIn('open-b2@example.com')])
    expect((await post(`${open.url}/webhook`, batch, AUTH)).status).toBe(200)
    await waitDelivered(open, 'open-single@example.com')
    await waitDelivered(open, 'open-b2@example.com')
  })

  test('invalid JSON and non-event bodies are 400s', async () => {
    expect((await post(`${open.url}/webhook`, '{"type":', AUTH)).status).toBe(400)
    const res = await post(`${open.url}/webhook`, '"just a string"', AUTH)
    expect(res.status).toBe(400)
    expect(String(res.json?.error)).toMatch(/event object/)
  })
})
