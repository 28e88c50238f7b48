import { afterEach, describe, expect, it } from 'vitest'
import { parseSettings } from '../../src/core/settings.js'
import { ManualClock } from '../fixtures/manual-clock.js'
import { acceptedEvents, type Harness, MAP, settingsFor, startHarness, track, waitFor } from './harness.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/**
 * Retries come ~3 s apart on a clock the test moves, so the settings change between an attempt and its
 * retry without waiting for it.
 */
async function harness(
  faults: NonNullable<Parameters<typeof startHarness>[0]>['faults'],
): Promise<Harness & { clock: ManualClock }> {
  const clock = new ManualClock(Date.now())
  const h = await startHarness({
    faults,
    service: {
      backoff: { baseMs: 3_000, maxMs: 3_000 },
      random: () => 0.999,
      now: clock.now,
      timers: clock,
    },
  })
  cleanups.push(() => h.close())
  return Object.assign(h, { clock })
}

/** Version 1 of the settings: Checked In earns perk 3003 instead of 3001. */
const remapped = (apiKey: string) =>
  parseSettings({
    apiKey,
    businessId: 1001,
    locationId: 2001,
    eventToPerkMap: { ...MAP, 'Checked In': 3003 },
  })

async function retryingEvent(h: Harness, email: string) {
  await h.service.accept([track(email, 'Checked In')])
  return waitFor(async () => {
    const [e] = await acceptedEvents(h.service, { email })
    return e?.status === 'retrying' && e.outcomeUnknown ? e : null
  }, 'a retrying event whose outcome is unknown')
}

/** Perkville works again: the retry falls due, and the event is delivered. */
async function deliveredAfterHealing(h: Harness & { clock: ManualClock }, id: string) {
  h.sandbox.setFaults({})
  await h.clock.advance(3_000)
  return waitFor(async () => {
    const e = await h.service.eventDetail(id)
    return e?.status === 'delivered' ? e : null
  }, 'the event delivered')
}

/** The transactions Perkville holds for this customer. */
function sentTo(h: Harness, email: string) {
  return h.sandbox.transactions().filter((t) => t.email === email)
}

describe('an event decided again after an attempt of unknown outcome', () => {
  it('is settled first: an attempt that landed under the old settings is found, not sent again', async () => {
    // Perkville records the transaction, then answers 500: the service cannot know it landed.
    const h = await harness({ commitThenFailRate: 1, commitThenFailMode: 'error', scope: 'writes' })
    const event = await retryingEvent(h, 'landed@example.com')
    await h.service.updateSettings(remapped(h.sandbox.token), 1)
    const done = await deliveredAfterHealing(h, event.id)
    expect(sentTo(h, 'landed@example.com')).toEqual([
      expect.objectContaining({ perk: 3001, trans_source_id: event.externalId }),
    ])
    // Found by its external id: nothing was decided again, nothing sent again.
    expect(done.decisions?.map((d) => d.settingsVersion)).toEqual([0])
  })

  it('is decided again under the new settings when the attempt did not land, with the same external id', async () => {
    const h = await harness({ errorRate: 1, errorStatus: 503, scope: 'writes' })
    const event = await retryingEvent(h, 'missed@example.com')
    await h.service.updateSettings(remapped(h.sandbox.token), 1)
    const done = await deliveredAfterHealing(h, event.id)
    expect(sentTo(h, 'missed@example.com')).toEqual([
      expect.objectContaining({ perk: 3003, trans_source_id: event.externalId }),
    ])
    expect(done).toMatchObject({ perkId: '3003', externalId: event.externalId })
    expect(
      done.decisions?.map((d) => [d.settingsVersion, (d.transaction as { perkId: string }).perkId]),
    ).toEqual([
      [0, '3001'],
      [1, '3003'],
    ])
  })

  it('is not decided again after a version that decides alike (see destination.test.ts for the key)', async () => {
    const h = await harness({ errorRate: 1, errorStatus: 503, scope: 'writes' })
    const event = await retryingEvent(h, 'samekey@example.com')
    await h.service.updateSettings(settingsFor(h.sandbox.token), 1)
    const done = await deliveredAfterHealing(h, event.id)
    expect(sentTo(h, 'samekey@example.com')).toEqual([
      expect.objectContaining({ perk: 3001, trans_source_id: event.externalId }),
    ])
    expect(done.decisions?.map((d) => d.settingsVersion)).toEqual([0])
  })

  it('is decided again after a skipped version, which may have decided differently', async () => {
    const h = await harness({ errorRate: 1, errorStatus: 503, scope: 'writes' })
    const event = await retryingEvent(h, 'skipped@example.com')
    // Versions 1 and 2 were another instance's; this one takes up version 3 directly.
    await h.service.updateSettings(settingsFor(h.sandbox.token), 3)
    const done = await deliveredAfterHealing(h, event.id)
    expect(done.decisions?.map((d) => d.settingsVersion)).toEqual([0, 3])
  })
})
