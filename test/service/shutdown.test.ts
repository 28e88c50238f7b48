import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type RunningSandbox, startSandbox } from '../../src/sandbox/index.js'
import { eventually, removeDir, type ServeProcess, startServe, stopServe, tempDir } from './helpers.js'
import { sendLoad } from './load.js'

const WRITE_KEY = 'shutdown-write-key'
let sandbox: RunningSandbox
let dataDir: string
let args: string[]
const running: ServeProcess[] = []

beforeAll(async () => {
  sandbox = await startSandbox({ memory: true })
  // Slow enough that a backlog and in-flight deliveries exist when SIGTERM arrives.
  sandbox.setFaults({ latencyMs: 20, latencyJitterMs: 40, scope: 'writes' })
  dataDir = tempDir('perkville-shutdown-')
  const settings = join(dataDir, 'settings.json')
  writeFileSync(
    settings,
    JSON.stringify({
      apiKey: sandbox.token,
      businessId: 1001,
      locationId: 2001,
      eventToPerkMap: { 'Checked In': 3001 },
    }),
  )
  args = [
    '--perkville-url',
    sandbox.url,
    '--settings',
    settings,
    '--write-key',
    WRITE_KEY,
    '--concurrency',
    '8',
  ]
})
afterAll(async () => {
  for (const proc of running) await stopServe(proc, 'SIGKILL')
  await sandbox?.close()
  removeDir(dataDir)
})

test('SIGTERM under load: exit 0 in time, nothing acknowledged is lost on the next start', async () => {
  const first = await startServe({ dataDir, args, env: { PERKVILLE_LOG_LEVEL: 'info' } })
  running.push(first)
  let signalled = false
  const load = await sendLoad({
    url: () => first.url,
    writeKey: WRITE_KEY,
    senders: 12,
    maxRequests: 3000,
    onAck: (acked) => {
      if (acked >= 300 && !signalled) {
        signalled = true
        first.child.kill('SIGTERM')
      }
      // Keep sending through the shutdown: late requests must get a 503 or a refused connection, never a lie.
      return false
    },
  })
  const exit = await first.exited
  // The service's own hard-exit timer would make it exit 1 after 10 s; 0 means it finished in time.
  expect(exit).toEqual({ code: 0, signal: null })
  expect(first.stdout()).toContain('shutting down: no longer accepting requests')
  expect(first.stdout()).toMatch(/"msg":"stopped"/)
  expect(load.acknowledged.size).toBeGreaterThanOrEqual(300)

  const second = await startServe({ dataDir, args })
  running.push(second)
  await eventually(
    () => {
      const ids = new Set(sandbox.transactions().map((tx) => tx.external_id))
      return [...load.acknowledged].every((id) => ids.has(id)) ? true : undefined
    },
    30_000,
    'every acknowledged event in the sandbox',
  )
  const externalIds = sandbox.transactions().map((tx) => tx.external_id)
  expect(externalIds.length).toBe(new Set(externalIds).size)
  expect((await stopServe(second)).code).toBe(0)
}, 60_000)
