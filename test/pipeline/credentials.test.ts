import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_READONLY_TOKEN, startSandbox } from '../../src/sandbox/index.js'
import { ManualClock } from '../fixtures/manual-clock.js'
import { acceptedEvents, type Harness, settingsFor, startHarness, track, waitFor } from './harness.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function harness(opts: Parameters<typeof startHarness>[0]): Promise<Harness> {
  const h = await startHarness(opts)
  cleanups.push(() => h.close())
  return h
}

describe('rejected credentials', () => {
  it('pause delivery without failing events, say why and what to do; new settings resume it', async () => {
    const clock = new ManualClock(Date.now())
    const h = await harness({
      token: 'wrong-token-0123456789',
      service: { credentialsProbeMs: 60_000, now: clock.now, timers: clock },
    })
    const events = Array.from({ length: 6 }, (_, i) => track(`k${i % 3}@example.com`, 'Checked In'))
    await h.service.accept(events)
    await waitFor(() => h.service.credentials().state === 'rejected', 'the pause')
    const health = await h.service.health()
    expect(health.credentials).toMatchObject({ state: 'rejected' })
    expect(health.credentials.message).toMatch(/401/)
    expect(health.credentials.action).toMatch(/apiKey/)
    expect(health.credentials.since).not.toBeNull()
    expect(JSON.stringify(health)).not.toContain('wrong-token-0123456789')
    expect(await h.registry.metrics()).toContain('perkville_delivery_paused 1')
    // Once the attempts that met the 401 are back, ten minutes pass for the pool (its polls and ten
    // probes run, each awaited): nothing fails, nothing burns an attempt.
    await waitFor(
      async () => (await acceptedEvents(h.service, { status: 'in_flight' })).length === 0,
      'the attempts out',
    )
    await clock.advance(10 * 60_000)
    const records = await acceptedEvents(h.service)
    expect(records).toHaveLength(6)
    for (const r of records) {
      expect(r.status === 'pending' || r.status === 'retrying').toBe(true)
      expect(r.attempts).toBe(0)
      expect(JSON.stringify(r)).not.toContain('wrong-token-0123456789')
    }
    expect(h.sandbox.transactions()).toHaveLength(0)

    await h.service.updateSettings(settingsFor(h.sandbox.token))
    await waitFor(() => h.sandbox.transactions().length === 6, 'delivery after the settings change')
    await waitFor(() => h.service.credentials().state === 'ok', 'credentials ok')
    expect(await acceptedEvents(h.service, { status: 'failed' })).toHaveLength(0)
    expect(await h.registry.metrics()).toContain('perkville_delivery_paused 0')
  })

  it('resume by themselves when the periodic probe succeeds', async () => {
    const token = 'token-issued-later-0123'
    const first = await startSandbox({ memory: true })
    const port = first.port
    let current = first
    cleanups.push(() => current.close())
    const h = await harness({ sandbox: first, token, service: { credentialsProbeMs: 100 } })
    await h.service.accept([track('p@example.com', 'Checked In'), track('p@example.com', 'Referral Sent')])
    await waitFor(() => h.service.credentials().state === 'rejected', 'the pause')
    // Perkville starts accepting the token (the sandbox comes back knowing it, at the same address).
    await first.close()
    current = await startSandbox({ memory: true, port, token })
    await waitFor(() => current.transactions().length === 2, 'delivery after the probe succeeded')
    expect(h.service.credentials().state).toBe('ok')
    expect(current.transactions().map((t) => t.perk)).toEqual([3001, 3003])
  })

  it('a token without the grant scope (403) pauses too, and stays paused while it lacks it', async () => {
    const h = await harness({ token: DEFAULT_READONLY_TOKEN, service: { credentialsProbeMs: 50 } })
    await h.service.accept([track('s@example.com', 'Checked In'), track('t@example.com', 'Checked In')])
    await waitFor(() => h.service.credentials().state === 'rejected', 'the pause')
    expect(h.service.credentials().message).toMatch(/403/)
    expect(h.service.credentials().action).toMatch(/scope/)
    // Probes succeed (the token reads), trials fail: still nothing failed, nothing delivered.
    await new Promise((r) => setTimeout(r, 400))
    expect(h.service.credentials().state).toBe('rejected')
    const records = await acceptedEvents(h.service)
    expect(records.every((r) => r.status !== 'failed' && r.attempts === 0)).toBe(true)
    await h.service.updateSettings(settingsFor(h.sandbox.token))
    await waitFor(() => h.sandbox.transactions().length === 2, 'delivery with the full token')
  })
})
