import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { eventually } from '../service/helpers.js'
import { AUTH, checkIn, post, startTestService, type TestService } from './fixture.js'

const SECRET = 'webhook-shared-secret'
const sign = (data: string, secret = SECRET) => createHmac('sha1', secret).update(data).digest('hex')

let signed: TestService
let open: TestService
let firstEvent: TestService

beforeAll(async () => {
  ;[signed, open, firstEvent] = await Promise.all([
    startTestService({ webhookSecret: SECRET }),
    startTestService(),
    startTestService({ webhookSecret: SECRET, webhookSignature: 'first-event' }),
  ])
})
afterAll(async () => {
  await Promise.all([signed?.close(), open?.close(), firstEvent?.close()])
})

/** An order worth a lot of points: what a forger would append. */
const bigOrder = (email: string) => ({
  type: 'track',
  event: 'Order Completed',
  userId: `forger-${email}`,
  messageId: `forged-${email}-${Date.now()}`,
  properties: { email, revenue: 500, order_id: `F-${email}` },
})

/** Posts a marker that must be delivered, so anything wrongly accepted before it had time to show. */
async function markerDelivered(svc: TestService, name: string) {
  const marker = JSON.stringify(checkIn(`${name}@example.com`))
  expect((await post(`${svc.url}/webhook`, marker, { 'x-signature': sign(marker) })).status).toBe(200)
  await waitDelivered(svc, `${name}@example.com`)
}

const forgedIn = (svc: TestService) =>
  svc.sandbox.transactions().filter((tx) => tx.email.startsWith('forged'))

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

  test('a batch signed over its whole raw body is accepted', async () => {
    const events = [checkIn('hook-b1@example.com'), checkIn('hook-b2@example.com')]
    const body = JSON.stringify(events)
    const res = await post(`${signed.url}/webhook`, body, { 'x-signature': sign(body) })
    expect(res.status).toBe(200)
    await waitDelivered(signed, 'hook-b1@example.com')
    await waitDelivered(signed, 'hook-b2@example.com')
  })

  test('forged batches (a seen signature with events appended, array or {batch}) are 401 and award nothing', async () => {
    // What an eavesdropper holds: one genuine signed single-event request.
    const genuine = checkIn('hook-genuine@example.com')
    const genuineBody = JSON.stringify(genuine)
    const seen = sign(genuineBody)
    expect((await post(`${signed.url}/webhook`, genuineBody, { 'x-signature': seen })).status).toBe(200)
    const forgeries = [
      JSON.stringify([genuine, bigOrder('forged-array@example.com')]),
      JSON.stringify({ batch: [genuine, bigOrder('forged-batch@example.com')] }),
      // A fresh first event is no better: the signature must cover the whole body.
      JSON.stringify([checkIn('forged-fresh@example.com'), bigOrder('forged-fresh2@example.com')]),
    ]
    for (const body of forgeries) {
      const res = await post(`${signed.url}/webhook`, body, { 'x-signature': seen })
      expect(res.status).toBe(401)
      expect(String(res.json?.error)).toMatch(/whole raw body/)
    }
    // Signed over the first event only, as Segment Actions signs: refused by default.
    const firstOnly = [checkIn('forged-first1@example.com'), checkIn('forged-first2@example.com')]
    const res = await post(`${signed.url}/webhook`, JSON.stringify(firstOnly), {
      'x-signature': sign(JSON.stringify(firstOnly[0])),
    })
    expect(res.status).toBe(401)
    // The refusal names the option that accepts such batches (issue 25); a forged one gets the plain answer.
    expect(res.json?.error).toContain('start the service with --webhook-signature first-event')
    await markerDelivered(signed, 'hook-marker-forged')
    expect(forgedIn(signed)).toEqual([])
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

describe('with --webhook-signature first-event (Segment Actions signs only the first event)', () => {
  test('the option is announced with a warning at start', () => {
    expect(firstEvent.logs.join('')).toMatch(/"level":40[^\n]*signed over their first event only/)
  })

  test('a batch signed over its first event is accepted; a resend of the same body is acknowledged once', async () => {
    const events = [checkIn('first-b1@example.com'), checkIn('first-b2@example.com')]
    const body = JSON.stringify(events)
    const headers = { 'x-signature': sign(JSON.stringify(events[0])) }
    expect((await post(`${firstEvent.url}/webhook`, body, headers)).status).toBe(200)
    expect((await post(`${firstEvent.url}/webhook`, body, headers)).status).toBe(200)
    await waitDelivered(firstEvent, 'first-b1@example.com')
    await waitDelivered(firstEvent, 'first-b2@example.com')
    await markerDelivered(firstEvent, 'first-marker-resend')
    expect(
      firstEvent.sandbox.transactions().filter((tx) => tx.email === 'first-b2@example.com'),
    ).toHaveLength(1)
  })

  test('a replayed signature in front of other events is 401: first messageId already received', async () => {
    // A genuine Segment batch, then the same first event (same signature) with a big order appended.
    const genuine = [checkIn('first-g1@example.com'), checkIn('first-g2@example.com')]
    const seen = sign(JSON.stringify(genuine[0]))
    expect(
      (await post(`${firstEvent.url}/webhook`, JSON.stringify(genuine), { 'x-signature': seen })).status,
    ).toBe(200)
    const forgedArray = JSON.stringify([genuine[0], bigOrder('forged-replay@example.com')])
    const forgedBatch = JSON.stringify({ batch: [genuine[0], bigOrder('forged-replay2@example.com')] })
    for (const body of [forgedArray, forgedBatch]) {
      const res = await post(`${firstEvent.url}/webhook`, body, { 'x-signature': seen })
      expect(res.status).toBe(401)
      expect(String(res.json?.error)).toMatch(/already received/)
    }
    // A single event's whole-body signature cannot front a batch either.
    const single = checkIn('first-single@example.com')
    const singleBody = JSON.stringify(single)
    expect(
      (await post(`${firstEvent.url}/webhook`, singleBody, { 'x-signature': sign(singleBody) })).status,
    ).toBe(200)
    const wrapped = JSON.stringify([single, bigOrder('forged-wrapped@example.com')])
    expect(
      (await post(`${firstEvent.url}/webhook`, wrapped, { 'x-signature': sign(singleBody) })).status,
    ).toBe(401)
    // Without a messageId on the first event the signature cannot be bound to one body: refused.
    const { messageId: _none, ...anonymous } = checkIn('forged-nomsg@example.com')
    const noId = JSON.stringify([anonymous, bigOrder('forged-nomsg2@example.com')])
    expect(
      (await post(`${firstEvent.url}/webhook`, noId, { 'x-signature': sign(JSON.stringify(anonymous)) }))
        .status,
    ).toBe(401)
    await markerDelivered(firstEvent, 'first-marker-forged')
    expect(forgedIn(firstEvent)).toEqual([])
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
