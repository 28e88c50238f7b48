import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import type { Transaction } from '../../src/core/types.js'
import { parkingFor } from '../../src/pipeline/parking.js'
import { TroubleLog } from '../../src/pipeline/trouble-log.js'

function capture() {
  const lines: Array<{ level: number; msg: string; retrying?: number; parked?: number; why?: string }> = []
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) })
  return { logger, lines }
}

describe('TroubleLog', () => {
  it('warns at most once a minute while events wait, and says once when they flow again', () => {
    const { logger, lines } = capture()
    let clock = 1_000_000
    const log = new TroubleLog(logger, () => clock)
    const trouble = { retrying: 3, parked: 2, paused: null, lastError: 'HTTP 503: busy' }
    log.report(trouble)
    clock += 30_000
    log.report(trouble)
    clock += 29_999
    log.report({ ...trouble, retrying: 4 })
    expect(lines.filter((l) => l.level === 40)).toHaveLength(1)
    expect(lines[0]).toMatchObject({ retrying: 3, parked: 2, why: 'HTTP 503: busy' })
    expect(lines[0]!.msg).toMatch(/5 event\(s\) wait for delivery \(3 retrying, 2 parked\): HTTP 503: busy/)
    clock += 1
    log.report({ ...trouble, retrying: 4 })
    expect(lines.filter((l) => l.level === 40)).toHaveLength(2)
    expect(lines[1]).toMatchObject({ retrying: 4 })

    log.report({ retrying: 0, parked: 0, paused: null, lastError: null })
    log.report({ retrying: 0, parked: 0, paused: null, lastError: null })
    expect(lines.slice(2).map((l) => [l.level, l.msg])).toEqual([
      [30, 'deliveries flow again: nothing is retrying, parked or paused'],
    ])
    // New trouble after recovery is told at once.
    clock += 1
    log.report({ retrying: 0, parked: 0, paused: 'HTTP 401: bad token', lastError: null })
    expect(lines[3]).toMatchObject({ level: 40, why: 'HTTP 401: bad token' })
    expect(lines[3]!.msg).toMatch(/delivery paused/)
  })

  it('says nothing while nothing waits', () => {
    const { logger, lines } = capture()
    const log = new TroubleLog(logger, () => 0)
    log.report({ retrying: 0, parked: 0, paused: null, lastError: null })
    expect(lines).toEqual([])
  })
})

describe('parkingFor', () => {
  const tx: Transaction = {
    perkId: '3001',
    email: 'a@x.co',
    businessId: '1001',
    locationId: '2009',
    sendEmail: false,
    quantity: 1,
    kind: 'event',
    orderId: null,
    messageId: null,
    timestamp: null,
  }

  it('parks a 404 naming the location, perk or business, with the reason and what to do', () => {
    expect(parkingFor(404, 'HTTP 404: location 2009 not found in business 1001', tx)).toMatchObject({
      reason: 'unknown_location',
      error: expect.stringMatching(/location 2009 of business 1001.*Correct the settings in Settings/),
    })
    expect(parkingFor(404, 'HTTP 404: perk 3001 not found in business 1001', tx)?.reason).toBe('unknown_perk')
    expect(parkingFor(404, 'HTTP 404: business 1001 not found', tx)?.reason).toBe('unknown_business')
    expect(parkingFor(404, 'HTTP 404: no route for POST /v1/transactions/', tx)?.reason).toBe(
      'unknown_to_perkville',
    )
    expect(
      parkingFor(400, 'HTTP 400: location: Invalid pk "2009" - object does not exist.', tx)?.reason,
    ).toBe('unknown_location')
  })

  it('leaves other refusals to fail as before', () => {
    expect(parkingFor(400, 'HTTP 400: email: not a valid address', tx)).toBeNull()
    expect(parkingFor(422, 'HTTP 422: quantity too large for this location', tx)).toBeNull()
  })
})
