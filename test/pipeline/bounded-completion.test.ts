/** What either store writes of a completion's attempts: slimmed when they got through, then bounded. */
import { expect, test } from 'vitest'
import { MAX_STORED_ANSWER_BYTES } from '../../src/perkville/bounded-body.js'
import { boundedCompletions } from '../../src/pipeline/storage/bounded-completion.js'
import type { AttemptRow, Completion } from '../../src/pipeline/storage/storage.js'

const completion = (log: AttemptRow[]): Completion => ({
  id: '1',
  leaseId: 1,
  attemptsMade: log.length,
  log,
  result: { status: 'delivered', at: 2, transactionId: '77' },
})

test("a delivered attempt keeps its transaction's id and points however long Perkville's answer was", () => {
  const answer = JSON.stringify({
    status: 201,
    headers: { 'content-type': 'application/json' },
    body: { id: 77, points: 125, note: 'x'.repeat(3 * MAX_STORED_ANSWER_BYTES) },
  })
  const [stored] = boundedCompletions([
    completion([
      { at: 1, durationMs: 5, outcome: 'delivered', request: '{"body":{}}', response: answer, error: null },
    ]),
  ])
  const [a] = stored!.log
  expect(a!.request).toBeNull()
  expect(JSON.parse(a!.response!)).toEqual({ status: 201, body: { id: 77, points: 125 } })
})

test('a failed attempt keeps its request and its answer, the answer cut to the stored bound', () => {
  const answer = JSON.stringify({
    status: 400,
    headers: {},
    body: { detail: 'y'.repeat(3 * MAX_STORED_ANSWER_BYTES) },
  })
  const [stored] = boundedCompletions([
    completion([
      {
        at: 1,
        durationMs: 5,
        outcome: 'permanent',
        request: '{"body":{}}',
        response: answer,
        error: 'HTTP 400',
      },
    ]),
  ])
  const [a] = stored!.log
  expect(a!.request).toBe('{"body":{}}')
  expect(Buffer.byteLength(a!.response!, 'utf8')).toBeLessThanOrEqual(MAX_STORED_ANSWER_BYTES)
  expect(JSON.parse(a!.response!).body.truncated).toBe(true)
})
