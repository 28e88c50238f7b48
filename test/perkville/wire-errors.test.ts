import { describe, expect, it } from 'vitest'
import { classifyTransactionResponse, errorMessage, isDuplicateAnswer } from '../../src/perkville/wire.js'
import { documentedFailure } from '../fixtures/perkville-errors.js'

const failure = documentedFailure

describe('a duplicate trans_source_id, in every plausible answer', () => {
  it.each([
    ['409 with the first transaction', 409, { detail: 'exists', resource_uri: '/v2/transactions/7/' }],
    ['409 with no body', 409, null],
    ['400, documented shape, "already exists"', 400, failure('E999', 'Transaction abc already exists')],
    [
      '400, documented errors list only',
      400,
      { status: 'failure', errors: ['This trans_source_id is already used'] },
    ],
    [
      '400, field-keyed at the top (Django wording)',
      400,
      { trans_source_id: ['Transaction with this Trans source id already exists.'] },
    ],
    ['400, field-keyed under errors', 400, { errors: { trans_source_id: ['must be unique'] } }],
    ['400, a detail naming the key', 400, { detail: 'duplicate trans_source_id' }],
  ])('%s counts as already delivered', (_what, status, body) => {
    expect(isDuplicateAnswer(status, body)).toBe(true)
    expect(classifyTransactionResponse(status, body, null).class).toBe('already_delivered')
  })

  it('a 2xx with the existing transaction is delivered', () => {
    expect(classifyTransactionResponse(200, { id: 7, points: 10 }, null)).toEqual({
      class: 'delivered',
      status: 200,
      transactionId: '7',
      points: 10,
    })
  })

  it.each([
    ['a malformed key', { trans_source_id: ['Ensure this field has no more than 255 characters.'] }],
    ['an unknown perk', failure('E003', 'Perk 34 does not exist')],
    ['an invalid email', { errors: { email: ['enter a valid email address'] } }],
  ])('a 400 about %s is not a duplicate: the event is refused', (_what, body) => {
    expect(isDuplicateAnswer(400, body)).toBe(false)
    expect(classifyTransactionResponse(400, body, null).class).toBe('permanent')
  })
})

describe('errors as Perkville sends them', () => {
  it('reads the documented error_codes shape, code first', () => {
    const body = failure('E003', 'Perk 34 does not exist')
    expect(errorMessage(400, body)).toBe('HTTP 400: E003: Perk 34 does not exist')
    expect(classifyTransactionResponse(400, body, null)).toMatchObject({ class: 'permanent', code: 'E003' })
  })

  it('reads field-keyed errors, at the top or under errors, one field per part', () => {
    expect(errorMessage(400, { email: ['a', 'b'], quantity: ['c'] })).toBe(
      'HTTP 400: email: a, b; quantity: c',
    )
    expect(errorMessage(400, { errors: { email: ['a'] } })).toBe('HTTP 400: email: a')
  })

  it('keeps OAuth errors and plain details, and never reads a resource as an error', () => {
    expect(errorMessage(401, { error: 'invalid_token', error_description: 'expired' })).toBe(
      'HTTP 401: expired',
    )
    expect(errorMessage(404, { detail: 'perk 9 not found' })).toBe('HTTP 404: perk 9 not found')
    expect(errorMessage(409, { id: 7, resource_uri: '/v2/transactions/7/' })).toBe('HTTP 409')
  })
})
