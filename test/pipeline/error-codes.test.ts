import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Transaction } from '../../src/core/types.js'
import { createPerkvilleClient, type PerkvilleHttpClient } from '../../src/perkville/client.js'
import { deliverOne } from '../../src/pipeline/deliver.js'
import type { ClaimedEvent } from '../../src/pipeline/storage/storage.js'
import { documentedFailure } from '../fixtures/perkville-errors.js'

/** A real HTTP server answering every transaction POST with Perkville's documented error shape. */
let server: Server
let client: PerkvilleHttpClient
let answer: { status: number; body: unknown } = { status: 400, body: null }

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.statusCode = answer.status
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify(answer.body))
    })
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const { port } = server.address() as AddressInfo
  client = createPerkvilleClient({ baseUrl: `http://127.0.0.1:${port}/v2/`, token: 'codes-token' })
})
afterAll(async () => {
  await client.close()
  server.closeAllConnections()
  await new Promise((done) => server.close(done))
})

const tx: Transaction = {
  perkId: '3002',
  email: 'ann@example.com',
  businessId: '1001',
  locationId: '2001',
  sendEmail: false,
  quantity: 9.99,
  kind: 'spend',
  orderId: null,
  messageId: 'm1',
  timestamp: null,
}

function claim(): ClaimedEvent {
  const now = Date.now()
  return {
    id: '42',
    leaseId: 1,
    externalId: 'm1',
    tx,
    receivedAt: now,
    attempts: 0,
    unknown: false,
    firstFailedAt: null,
    settingsVersion: 1,
    payload: '{}',
  }
}

const failure = documentedFailure

describe("Perkville's documented error codes park the events they affect, with the fix", () => {
  it.each([
    [
      'E000',
      'Location 2001 does not exist',
      'unknown_location',
      /Perkville has no location 2001.*Set locationId/,
    ],
    [
      'E001',
      'Location 2001 is not active',
      'inactive_location',
      /location 2001 is not active.*Activate it in Perkville/,
    ],
    [
      'E002',
      'Location 2001 does not belong to business 1001',
      'unknown_location',
      /location 2001 is not of business 1001/,
    ],
    ['E003', 'Perk 3002 does not exist', 'unknown_perk', /Perkville has no perk 3002.*Map the event to/],
    [
      'E004',
      'Perk 3002 is not active',
      'inactive_perk',
      /perk 3002 is not active.*POST \/admin\/parked\/release/,
    ],
    [
      'E005',
      'Perk 3002 does not belong to Business 1001',
      'unknown_perk',
      /perk 3002 is not of business 1001/,
    ],
  ])('%s (%s) → parked %s', async (code, message, reason, fix) => {
    answer = { status: 400, body: failure(code, message) }
    const outcome = await deliverOne(claim(), {
      client,
      secrets: ['codes-token'],
      now: Date.now,
      backoff: { baseMs: 10, maxMs: 100 },
      retryForMs: 60_000,
    })
    expect(outcome.completion?.result).toMatchObject({ status: 'parked', reason })
    const error = (outcome.completion!.result as { error: string }).error
    expect(error).toMatch(fix)
    expect(error).toContain(`${code}: ${message}`)
  })

  it('a field-keyed 400 on another field is a refusal, not a parking', async () => {
    answer = { status: 400, body: { email: ['Enter a valid email address.'] } }
    const outcome = await deliverOne(claim(), {
      client,
      secrets: [],
      now: Date.now,
      backoff: { baseMs: 10, maxMs: 100 },
      retryForMs: 60_000,
    })
    expect(outcome.completion?.result).toMatchObject({
      status: 'failed',
      reason: 'permanent',
      error: 'HTTP 400: email: Enter a valid email address.',
    })
  })
})

describe('a settings change while the attempt was out', () => {
  it('sends the event back to the queue instead of parking it, so the new settings decide it again', async () => {
    answer = { status: 400, body: failure('E000', 'Location 2001 does not exist') }
    const deps = {
      client,
      secrets: [],
      now: Date.now,
      backoff: { baseMs: 10, maxMs: 100 },
      retryForMs: 60_000,
      beforeSend: async () => ({ tx, settingsVersion: 1 }),
    }
    const before = Date.now()
    const stale = await deliverOne(claim(), { ...deps, settingsVersion: () => 2 })
    expect(stale.completion?.result).toMatchObject({ status: 'retrying', unknown: false })
    const retrying = stale.completion!.result as { nextAttemptAt: number; error: string }
    expect(retrying.nextAttemptAt).toBeGreaterThanOrEqual(before)
    expect(retrying.error).toMatch(/Perkville has no location 2001/)
    // Under the settings still in force, the same answer parks it.
    const current = await deliverOne(claim(), { ...deps, settingsVersion: () => 1 })
    expect(current.completion?.result).toMatchObject({ status: 'parked', reason: 'unknown_location' })
  })
})
