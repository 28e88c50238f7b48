/**
 * The two-instance scenario of the `serve` tests on PostgreSQL: customers' events sent in rounds,
 * each round acknowledged before the next goes to the other instance (so each customer's events
 * have a definite order across instances), some rounds to both at once (a client retrying
 * elsewhere); then every acknowledged event must reach the sandbox exactly once, in order.
 */
import { expect } from 'vitest'
import type { RunningSandbox } from '../../src/sandbox/index.js'
import { basicAuth, eventually, type ServeProcess } from '../service/helpers.js'
import { queryIn } from './pg-harness.js'

export const CUSTOMERS = 30

async function sendBatch(url: string, writeKey: string, batch: object[]): Promise<void> {
  const res = await fetch(`${url}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basicAuth(writeKey) },
    body: JSON.stringify({ batch }),
  })
  if (res.status !== 200) throw new Error(`batch answered ${res.status}: ${await res.text()}`)
}

/** Sends rounds `from` … `to - 1`, alternating [a, b]; records each customer's messageIds in `order`. */
export async function sendRounds(
  [a, b]: readonly [ServeProcess, ServeProcess],
  writeKey: string,
  order: Map<string, string[]>,
  from: number,
  to: number,
): Promise<void> {
  for (let r = from; r < to; r++) {
    const batch = Array.from({ length: CUSTOMERS }, (_, c) => {
      const email = `serve${c}@example.com`
      const messageId = `pgs-${r}-${c}`
      order.set(email, [...(order.get(email) ?? []), messageId])
      return { type: 'track', event: 'Checked In', userId: `u${c}`, messageId, properties: { email } }
    })
    const [first, other] = r % 2 === 0 ? [a, b] : [b, a]
    if (r % 3 === 0) {
      await Promise.all([sendBatch(first.url, writeKey, batch), sendBatch(other.url, writeKey, batch)])
    } else await sendBatch(first.url, writeKey, batch)
  }
}

/**
 * Waits for every event of `order` in the sandbox and an empty queue in `schema`, then checks each
 * was delivered once, in its customer's order, stored in that schema, never resent blind. Returns
 * the count of each attempt outcome.
 */
export async function expectDeliveredOnce(
  sandbox: RunningSandbox,
  schema: string,
  order: Map<string, string[]>,
): Promise<Map<string, number>> {
  const total = [...order.values()].reduce((n, ids) => n + ids.length, 0)
  await eventually(
    () => (new Set(sandbox.transactions().map((t) => t.trans_source_id)).size >= total ? true : undefined),
    45_000,
    'every event in the sandbox',
  )
  await eventually(
    async () => {
      const rows = await queryIn<{ n: number }>(
        schema,
        `SELECT COUNT(*)::int AS n FROM events WHERE status IN ('pending', 'in_flight', 'retrying')`,
      )
      return rows[0]!.n === 0 ? true : undefined
    },
    15_000,
    'an empty queue',
  )
  const txs = [...sandbox.transactions()].sort((x, y) => x.id - y.id)
  const ids = txs.map((t) => t.trans_source_id)
  expect(ids.length).toBe(total)
  expect(new Set(ids).size).toBe(total)
  for (const [email, sent] of order) {
    expect(txs.filter((t) => t.email === email).map((t) => t.trans_source_id)).toEqual(sent)
  }
  const stored = await queryIn<{ n: number }>(schema, 'SELECT COUNT(*)::int AS n FROM events')
  expect(stored[0]!.n).toBe(total)
  const rows = await queryIn<{ outcome: string; n: number }>(
    schema,
    'SELECT outcome, COUNT(*)::int AS n FROM attempts GROUP BY outcome',
  )
  const outcomes = new Map(rows.map((r) => [r.outcome, r.n]))
  // A second POST would have met 409 "already there".
  expect(outcomes.get('already_delivered') ?? 0).toBe(0)
  return outcomes
}
