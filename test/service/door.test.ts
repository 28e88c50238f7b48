import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { basicAuth, eventually, removeDir, type ServeProcess, startServe, stopServe } from './helpers.js'

const WRITE_KEY = 'wk_door_0123456789abcdef'
const ADMIN = 'adm_door_token_abcdef'
let proc: ServeProcess
let sandboxOrigin: string

beforeAll(async () => {
  proc = await startServe({ args: ['--write-key', WRITE_KEY, '--admin-token', ADMIN] })
  sandboxOrigin = new URL(proc.sandboxUrl!).origin
})
afterAll(async () => {
  await stopServe(proc)
  removeDir(proc.dataDir)
})

let n = 0
const checkIn = (email: string, extra: Record<string, unknown> = {}) => ({
  type: 'track',
  event: 'Checked In',
  userId: `door-${++n}`,
  messageId: `door-${process.pid}-${Date.now()}-${n}`,
  properties: { email },
  ...extra,
})

async function send(body: string | Uint8Array, headers: Record<string, string> = {}) {
  const res = await fetch(`${proc.url}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basicAuth(WRITE_KEY), ...headers },
    body: typeof body === 'string' ? body : new Blob([new Uint8Array(body)]),
  })
  return { status: res.status, json: (await res.json()) as { success: boolean; error?: string } }
}

const transactions = async () =>
  (
    (await (await fetch(`${sandboxOrigin}/_sandbox/transactions`)).json()) as {
      objects: Array<{ email: string; transaction_dt: string | null }>
    }
  ).objects

const delivered = (email: string) =>
  eventually(
    async () => (await transactions()).find((tx) => tx.email === email),
    15_000,
    `an award for ${email}`,
  )

async function adminEvents(email: string) {
  const res = await fetch(`${proc.url}/admin/events?email=${encodeURIComponent(email)}`, {
    headers: { authorization: `Bearer ${ADMIN}` },
  })
  return {
    text: await res.clone().text(),
    json: (await res.json()) as { events: Array<{ status: string; payload: Record<string, unknown> }> },
  }
}

describe('at the door', () => {
  test('bytes that are not UTF-8 are a 400 saying where, and nothing of the request is delivered', async () => {
    const good = JSON.stringify({
      batch: [checkIn('utf8-good@example.com'), checkIn('utf8-bad@example.com')],
    })
    const at = good.indexOf('-bad@')
    const bytes = Buffer.from(good, 'utf8')
    bytes[at] = 0xff // one byte that no UTF-8 text has
    for (const [body, headers] of [
      [bytes, {}],
      [gzipSync(bytes), { 'content-encoding': 'gzip' }],
    ] as const) {
      const res = await send(body, headers)
      expect(res.status).toBe(400)
      expect(res.json.error).toBe(
        `the request body is not valid UTF-8 at byte offset ${at} (line 1, column ${at + 1}); nothing was accepted`,
      )
    }
    // A marker sent after must arrive; the refused request's good event must not have.
    expect((await send(JSON.stringify({ batch: [checkIn('utf8-marker@example.com')] }))).status).toBe(200)
    await delivered('utf8-marker@example.com')
    expect(
      (await transactions()).filter(
        (tx) => tx.email.startsWith('utf8-') && tx.email !== 'utf8-marker@example.com',
      ),
    ).toEqual([])
  })

  test('a timestamp that is not an ISO 8601 date-time: receivedAt is sent, the record keeps the given value and says so', async () => {
    const cases: Array<[string, unknown]> = [
      ['ts-words@example.com', 'yesterday at noon'],
      ['ts-month@example.com', '2026-13-01T00:00:00Z'],
      ['ts-number@example.com', 1764547200000],
    ]
    const good = '2026-11-30T09:15:00.000Z'
    const events = [
      ...cases.map(([email, timestamp]) => checkIn(email, { timestamp })),
      checkIn('ts-good@example.com', { timestamp: good }),
    ]
    expect((await send(JSON.stringify({ batch: events }))).status).toBe(200)
    for (const [email, given] of cases) {
      const tx = await delivered(email)
      const [record] = (await adminEvents(email)).json.events
      expect(record!.status).toBe('delivered')
      expect(record!.payload.timestamp).toBe(record!.payload.receivedAt)
      expect(Date.parse(tx.transaction_dt!)).toBe(Date.parse(record!.payload.receivedAt as string))
      expect(record!.payload.timestampReplaced).toEqual({
        given,
        reason: expect.stringMatching(/not an ISO 8601 date-time.*receivedAt/),
      })
    }
    const tx = await delivered('ts-good@example.com')
    expect(Date.parse(tx.transaction_dt!)).toBe(Date.parse(good))
    expect(
      (await adminEvents('ts-good@example.com')).json.events[0]!.payload.timestampReplaced,
    ).toBeUndefined()
  })

  test('a timestamp more than 24 hours ahead: receivedAt is sent, the record keeps the given value and says so', async () => {
    // Issue 22 item 14: a timestamp a year in the future was sent to Perkville as it was.
    const yearAhead = new Date(Date.now() + 365 * 86_400_000).toISOString()
    const hoursAhead = new Date(Date.now() + 20 * 3_600_000).toISOString()
    const events = [
      checkIn('ts-future@example.com', { timestamp: yearAhead }),
      checkIn('ts-soon@example.com', { timestamp: hoursAhead }),
    ]
    expect((await send(JSON.stringify({ batch: events }))).status).toBe(200)
    const tx = await delivered('ts-future@example.com')
    const [record] = (await adminEvents('ts-future@example.com')).json.events
    expect(Date.parse(tx.transaction_dt!)).toBe(Date.parse(record!.payload.receivedAt as string))
    expect(record!.payload.timestampReplaced).toEqual({
      given: yearAhead,
      reason: expect.stringMatching(/more than 24 hours after it was received.*receivedAt/),
    })
    const soon = await delivered('ts-soon@example.com')
    expect(Date.parse(soon.transaction_dt!)).toBe(Date.parse(hoursAhead))
  })

  test('a writeKey anywhere in an event (batch context, event context, properties) is not stored nor shown', async () => {
    const secret = 'wk_leaked_in_context_777'
    const body = {
      writeKey: WRITE_KEY,
      context: { writeKey: secret, library: { name: 'probe' } },
      batch: [
        checkIn('wk-batch-context@example.com'),
        checkIn('wk-event-context@example.com', { context: { writeKey: secret } }),
        {
          ...checkIn('wk-properties@example.com'),
          properties: { email: 'wk-properties@example.com', deep: [{ writeKey: secret }] },
        },
      ],
    }
    expect((await send(JSON.stringify(body))).status).toBe(200)
    for (const email of [
      'wk-batch-context@example.com',
      'wk-event-context@example.com',
      'wk-properties@example.com',
    ]) {
      await delivered(email)
      const { text, json } = await adminEvents(email)
      expect(json.events).toHaveLength(1)
      expect(text).not.toContain(secret)
      expect(text).not.toContain(WRITE_KEY)
      // No "writeKey" key anywhere (the events' writeKeySource label is no key).
      expect(text).not.toContain('"writeKey"')
    }
    const { json } = await adminEvents('wk-batch-context@example.com')
    expect(json.events[0]!.payload.context).toEqual({ library: { name: 'probe' } })
  })
})
