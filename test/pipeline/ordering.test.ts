import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { createPerkvilleClient } from '../../src/perkville/client.js'
import type { PerkvilleClient } from '../../src/perkville/client-api.js'
import type { DeliveryService, IncomingEvent } from '../../src/pipeline/service-api.js'
import { type RunningSandbox, startSandbox } from '../../src/sandbox/index.js'
import {
  acceptedEvents,
  type Harness,
  openTestService,
  settingsFor,
  startHarness,
  track,
  waitFor,
} from './harness.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

function idOf(e: IncomingEvent): string {
  return (e.payload as { messageId: string }).messageId
}

/** External ids per email, in the order the sandbox recorded them (its ids grow with arrival). */
function arrivalOrder(sandbox: RunningSandbox): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const t of [...sandbox.transactions()].sort((a, b) => a.id - b.id)) {
    const list = out.get(t.email) ?? []
    list.push(t.trans_source_id)
    out.set(t.email, list)
  }
  return out
}

/**
 * Two real sandboxes behind one client: one customer's requests go to the second (which the test
 * makes fail or crawl), everyone else's to the first. Both are real HTTP servers.
 */
function splitClient(main: PerkvilleClient, side: PerkvilleClient, sideEmail: string): PerkvilleClient {
  const sideIds = new Set<string>()
  return {
    baseUrl: main.baseUrl,
    postTransaction(tx, externalId) {
      if (tx.email.toLowerCase() !== sideEmail) return main.postTransaction(tx, externalId)
      sideIds.add(externalId)
      return side.postTransaction(tx, externalId)
    },
    findTransaction: (b, id) => (sideIds.has(id) ? side : main).findTransaction(b, id),
    getBusiness: (b) => main.getBusiness(b),
    listLocations: (b) => main.listLocations(b),
    listPerks: (b) => main.listPerks(b),
    close: async () => undefined,
  }
}

async function splitService(sideFaults: Parameters<RunningSandbox['setFaults']>[0]) {
  const main = await startSandbox({ memory: true })
  const side = await startSandbox({ memory: true, faults: sideFaults })
  const mainClient = createPerkvilleClient({ baseUrl: main.url, token: main.token, timeoutMs: 10_000 })
  const sideClient = createPerkvilleClient({ baseUrl: side.url, token: side.token, timeoutMs: 10_000 })
  const dir = mkdtempSync(join(tmpdir(), 'pipeline-order-'))
  const service: DeliveryService = await openTestService({
    dataDir: dir,
    settings: settingsFor(main.token),
    client: splitClient(mainClient, sideClient, 'slow@example.com'),
    registry: new Registry(),
    logger: pino({ level: 'silent' }),
    backoff: { baseMs: 20, maxMs: 100 },
    pollMs: 50,
    concurrency: 4,
  })
  await service.start()
  cleanups.push(async () => {
    await service.stop()
    await mainClient.close()
    await sideClient.close()
    await main.close()
    await side.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return { main, side, service }
}

describe('per-customer ordering', () => {
  it('delivers each customer’s events in the order received, through random failures', async () => {
    const h: Harness = await startHarness({
      faults: { errorRate: 0.25, commitThenFailRate: 0.15, commitThenFailMode: 'error', seed: 5 },
      service: { concurrency: 8 },
    })
    cleanups.push(() => h.close())
    const events: IncomingEvent[] = []
    for (let i = 0; i < 90; i++) events.push(track(`o${i % 3}@example.com`, 'Checked In'))
    // Several calls, so the order spans commits too.
    for (let i = 0; i < events.length; i += 10) await h.service.accept(events.slice(i, i + 10))
    await waitFor(async () => (await h.service.health()).queueDepth === 0, 'the queue to drain', 40_000)
    const order = arrivalOrder(h.sandbox)
    for (let c = 0; c < 3; c++) {
      const expected = events.filter((_, i) => i % 3 === c).map(idOf)
      expect(order.get(`o${c}@example.com`)).toEqual(expected)
    }
  })

  it('a failing customer holds back only its own later events; others go on', async () => {
    const { main, side, service } = await splitService({ outage: true })
    const slow = Array.from({ length: 3 }, () => track('Slow@Example.com', 'Checked In'))
    const fast = Array.from({ length: 10 }, (_, i) => track(`fast${i % 2}@example.com`, 'Checked In'))
    await service.accept([...slow, ...fast])
    await waitFor(() => main.transactions().length === 10, 'the other customers to be delivered')
    const held = await acceptedEvents(service, { email: 'slow@example.com' })
    const head = held.find((e) => e.messageId === idOf(slow[0]!))!
    // Only the head was tried (it may be between tries or in one); the events behind it never went out.
    expect(['retrying', 'in_flight']).toContain(head.status)
    const behind = held.filter((e) => e !== head)
    expect(behind.map((e) => [e.status, e.attempts])).toEqual([
      ['pending', 0],
      ['pending', 0],
    ])
    expect(behind.every((e) => e.attemptLog.length === 0)).toBe(true)
    side.setFaults({})
    await waitFor(() => side.transactions().length === 3, 'the held customer after recovery')
    expect(arrivalOrder(side).get('slow@example.com')).toEqual(slow.map(idOf))
  })

  it('a slow customer does not stall the others', async () => {
    const { main, side, service } = await splitService({ latencyMs: 1_500 })
    const slow = Array.from({ length: 2 }, () => track('slow@example.com', 'Checked In'))
    const fast = Array.from({ length: 12 }, (_, i) => track(`quick${i % 3}@example.com`, 'Checked In'))
    await service.accept([...slow, ...fast])
    await waitFor(() => main.transactions().length === 12, 'the other customers to be delivered')
    expect(side.transactions().length).toBeLessThan(2)
    await waitFor(() => side.transactions().length === 2, 'the slow customer', 20_000)
    expect(arrivalOrder(side).get('slow@example.com')).toEqual(slow.map(idOf))
  })
})
