import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createPerkvilleClient } from '../../src/perkville/client.js'
import { atTheDoor } from '../../src/pipeline/door.js'
import { openSqliteStorage } from '../../src/pipeline/storage/sqlite.js'
import type { NewEvent } from '../../src/pipeline/storage/storage.js'
import { startSandbox } from '../../src/sandbox/index.js'
import { acceptedEvents, type Harness, settingsFor, startHarness, track, waitFor } from './harness.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/**
 * What a process killed mid-delivery leaves behind: the event accepted and leased (in flight) in
 * the database, and, if it got that far, the POST already in Perkville.
 */
async function crashMidFlight(
  dir: string,
  sandboxUrl: string,
  token: string,
  sent: boolean,
): Promise<string> {
  const settings = settingsFor(token)
  const verdict = atTheDoor(settings, track('crash@example.com', 'Checked In'))
  if (verdict.kind !== 'queue') throw new Error('expected a send')
  const ev: NewEvent = verdict.event
  const storage = openSqliteStorage({ path: join(dir, 'destination.db') })
  const now = Date.now()
  await storage.accept([{ events: [ev] }], {
    now,
    dedupSince: now - 1_000,
    orderRule: (tx) => ({ action: 'queue', quantity: tx.quantity, ledger: null }),
  })
  const [claim] = (await storage.claim(1, now, 60_000)).claims
  expect(claim?.externalId).toBe(ev.externalId)
  if (sent) {
    const client = createPerkvilleClient({ baseUrl: sandboxUrl, token })
    const attempt = await client.postTransaction(claim!.tx, claim!.externalId)
    expect(attempt.result.class).toBe('delivered')
    await client.close()
  }
  // No completion is recorded: the process dies here.
  await storage.close()
  return ev.externalId
}

describe('crash recovery', () => {
  for (const sent of [true, false]) {
    it(`settles an event left in flight by a crash by lookup (POST ${sent ? 'had' : 'had not'} reached Perkville)`, async () => {
      const sandbox = await startSandbox({ memory: true })
      const dir = mkdtempSync(join(tmpdir(), 'pipeline-crash-'))
      cleanups.push(async () => {
        await sandbox.close()
        rmSync(dir, { recursive: true, force: true })
      })
      const externalId = await crashMidFlight(dir, sandbox.url, sandbox.token, sent)
      expect(sandbox.transactions()).toHaveLength(sent ? 1 : 0)
      const h = await startHarness({ dir, sandbox })
      cleanups.push(() => h.close())
      await waitFor(async () => (await h.service.health()).queueDepth === 0, 'recovery')
      expect(sandbox.transactions().filter((t) => t.trans_source_id === externalId)).toHaveLength(1)
      const [record] = await acceptedEvents(h.service)
      expect(record!.status).toBe('delivered')
      expect(record!.attemptLog.map((a) => a.outcome)).toEqual(
        sent ? ['settled_found'] : ['settled_not_found', 'delivered'],
      )
      expect(record!.attempts).toBe(sent ? 0 : 1)
    })
  }

  it('stop() releases a delivery it cannot finish in time; the next start settles it, exactly once', async () => {
    const h: Harness = await startHarness({
      faults: { latencyMs: 1_500, scope: 'writes' },
      service: { stopTimeoutMs: 100 },
      clientTimeoutMs: 10_000,
    })
    cleanups.push(() => h.close())
    const ev = track('s@example.com', 'Checked In')
    await h.service.accept([ev])
    await waitFor(
      async () => (await acceptedEvents(h.service, { status: 'in_flight' })).length === 1,
      'in flight',
    )
    await h.service.stop()
    await expect(h.service.accept([track('late@example.com', 'Checked In')])).rejects.toThrow(/shutting down/)
    h.sandbox.setFaults({})
    await h.restart()
    await waitFor(async () => (await h.service.health()).queueDepth === 0, 'the released event')
    const id = (ev.payload as { messageId: string }).messageId
    await waitFor(() => h.sandbox.transactions().length === 1, 'the commit of the slow POST')
    await new Promise((r) => setTimeout(r, 1_600))
    expect(h.sandbox.transactions().filter((t) => t.trans_source_id === id)).toHaveLength(1)
    const [record] = await acceptedEvents(h.service)
    expect(record!.status).toBe('delivered')
    expect(record!.attemptLog.some((a) => a.outcome.startsWith('settled_'))).toBe(true)
  })
})
