import { expect, it } from 'vitest'
import type { AlertChange, Storage } from '../../src/pipeline/storage/storage.js'
import { newEvent } from './storage-contract.js'

const fire = (at: number, by = 'a', key = 'credentials_rejected'): AlertChange & { kind: 'fire' } => ({
  kind: 'fire',
  key,
  alert: key.split(':')[0]!,
  reason: 'credentials rejected',
  since: at - 5,
  count: 3,
  at,
  by,
  forgetBefore: 0,
})

/**
 * The alert record: each change is a claim at most one caller wins, so instances sharing a store send
 * each message once; and the two facts the alert monitor reads (parked by reason, newest delivery).
 */
export function alertsContract(make: () => Promise<Storage>): void {
  it('opens one alert per key: a second fire while it is open is refused', async () => {
    const storage = await make()
    const opened = await storage.recordAlert(fire(1_000))
    expect(opened).toMatchObject({
      key: 'credentials_rejected',
      alert: 'credentials_rejected',
      since: 995,
      firedAt: 1_000,
      count: 3,
      notifiedAt: 1_000,
      reminders: 0,
      seenBy: 'a',
      resolvedAt: null,
    })
    expect(await storage.recordAlert(fire(1_001, 'b'))).toBeNull()
    expect(await storage.recordAlert(fire(1_001, 'b', 'events_parked:unknown_perk'))).not.toBeNull()
    expect((await storage.openAlerts()).map((a) => a.key)).toEqual([
      'credentials_rejected',
      'events_parked:unknown_perk',
    ])
  })

  it('a reminder is claimed once: only while notifiedAt is the value read', async () => {
    const storage = await make()
    const opened = (await storage.recordAlert(fire(1_000)))!
    const remind = { kind: 'remind' as const, id: opened.id, notifiedAt: 1_000, count: 4, by: 'a' }
    expect(await storage.recordAlert({ ...remind, at: 5_000 })).toMatchObject({
      notifiedAt: 5_000,
      reminders: 1,
      count: 4,
    })
    expect(await storage.recordAlert({ ...remind, at: 5_001, by: 'b' })).toBeNull()
  })

  it('resolves once; another instance waits while the one that saw it last is not quiet', async () => {
    const storage = await make()
    const opened = (await storage.recordAlert(fire(1_000, 'a')))!
    expect(
      await storage.recordAlert({ kind: 'seen', id: opened.id, count: 7, at: 2_000, by: 'a' }),
    ).toMatchObject({
      count: 7,
      seenAt: 2_000,
    })
    const resolve = (at: number, by: string, ownQuietBefore: number, quietBefore: number) =>
      storage.recordAlert({ kind: 'resolve', id: opened.id, at, by, ownQuietBefore, quietBefore })
    // a itself, which saw it at 2 000, resolves only once it has missed it since then…
    expect(await resolve(2_100, 'a', 1_999, 1_500)).toBeNull()
    // …b, which never saw it, only once a has been quiet longer.
    expect(await resolve(2_100, 'b', 2_050, 1_500)).toBeNull()
    expect(await resolve(2_200, 'b', 2_150, 2_001)).toMatchObject({ resolvedAt: 2_200, count: 7 })
    expect(await resolve(2_300, 'a', 9_999, 9_999)).toBeNull()
    const own = (await storage.recordAlert(fire(2_400, 'a', 'queue_stale')))!
    expect(
      await storage.recordAlert({
        kind: 'resolve',
        id: own.id,
        at: 2_500,
        by: 'a',
        ownQuietBefore: 2_401,
        quietBefore: 0,
      }),
    ).toMatchObject({ resolvedAt: 2_500 })
    expect(await storage.openAlerts()).toEqual([])
    // The condition again: a new alert, the old one stays in the history.
    const again = await storage.recordAlert(fire(3_000))
    expect(again!.id).not.toBe(opened.id)
    expect((await storage.alertHistory(10)).map((a) => [a.id, a.resolvedAt])).toEqual([
      [again!.id, null],
      [own.id, 2_500],
      [opened.id, 2_200],
    ])
    expect(await storage.alertHistory(1)).toHaveLength(1)
  })

  it('forgets resolved alerts older than the retention when a new one opens', async () => {
    const storage = await make()
    const old = (await storage.recordAlert(fire(1_000)))!
    await storage.recordAlert({
      kind: 'resolve',
      id: old.id,
      at: 1_100,
      by: 'a',
      ownQuietBefore: 1_001,
      quietBefore: 0,
    })
    await storage.recordAlert({ ...fire(9_000, 'a', 'queue_stale'), forgetBefore: 2_000 })
    expect((await storage.alertHistory(10)).map((a) => a.key)).toEqual(['queue_stale'])
  })

  it('reads parked events by reason and the newest delivery', async () => {
    const storage = await make()
    expect(await storage.parkedByReason()).toEqual([])
    expect(await storage.newestDelivery()).toBeNull()
    const now = Date.now()
    const a = newEvent('a@x.co', now - 10_000)
    const b = newEvent('b@x.co', now - 5_000)
    const c = newEvent('c@x.co', now - 4_000)
    await storage.accept([{ events: [a, b, c] }], {
      now,
      dedupSince: now - 60_000,
      orderRule: (_tx, ledger) => ({ action: 'queue', quantity: 1, ledger }),
    })
    const claims = (await storage.claim(10, now, 60_000)).claims
    const of = (email: string) => claims.find((c) => c.tx.email === email)!
    await storage.complete(
      [
        {
          id: of('a@x.co').id,
          leaseId: of('a@x.co').leaseId,
          attemptsMade: 1,
          log: [],
          result: { status: 'delivered', at: now + 100, transactionId: null },
        },
        {
          id: of('b@x.co').id,
          leaseId: of('b@x.co').leaseId,
          attemptsMade: 1,
          log: [],
          result: { status: 'parked', at: now, reason: 'unknown_location', error: 'x' },
        },
        {
          id: of('c@x.co').id,
          leaseId: of('c@x.co').leaseId,
          attemptsMade: 1,
          log: [],
          result: { status: 'parked', at: now, reason: 'unknown_location', error: 'x' },
        },
      ],
      now + 100,
    )
    expect(await storage.parkedByReason()).toEqual([{ reason: 'unknown_location', count: 2 }])
    expect(await storage.newestDelivery()).toBe(now + 100)
  })
}
