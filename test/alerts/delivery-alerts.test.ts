import { afterAll, beforeAll, expect, test } from 'vitest'
import { type RunningSandbox, startSandbox } from '../../src/sandbox/index.js'
import {
  basicAuth,
  eventually,
  removeDir,
  type ServeProcess,
  startServe,
  stopServe,
  tempDir,
  writeSandboxSettings,
} from '../service/helpers.js'
import { startWebhookReceiver } from './receivers.js'

/**
 * Perkville down (the sandbox answers 503): events wait and nothing is delivered, which the store's
 * facts (oldest waiting event, newest delivery) show; back up, they clear. Short thresholds so the
 * test waits seconds, not minutes.
 */
const WRITE_KEY = 'wk_delivery_alerts_test'
let sandbox: RunningSandbox
let hook: Awaited<ReturnType<typeof startWebhookReceiver>>
let proc: ServeProcess
const dir = tempDir('perkville-delivery-alerts-')

beforeAll(async () => {
  sandbox = await startSandbox({ memory: true })
  hook = await startWebhookReceiver()
  proc = await startServe({
    args: [
      ...['--perkville-url', sandbox.url, '--settings', writeSandboxSettings(dir, sandbox.token)],
      ...['--write-key', WRITE_KEY, '--alert-webhook', `${hook.url}/hook`, '--alert-interval', '200ms'],
      ...['--alert-stalled-after', '1s', '--alert-oldest-waiting', '2s'],
    ],
  })
})
afterAll(async () => {
  if (proc) {
    await stopServe(proc, 'SIGKILL')
    removeDir(proc.dataDir)
  }
  await sandbox?.close()
  await hook?.close()
  removeDir(dir)
})

const states = (alert: string) =>
  hook.received.filter((r) => r.body.alert === alert).map((r) => `${r.body.state} ${r.body.reason}`)

test('Perkville down: delivery_failing (nothing delivered) and queue_stale fire once, and clear once it is back', async () => {
  sandbox.setFaults({ outage: true })
  const res = await fetch(`${proc.url}/v1/track`, {
    method: 'POST',
    headers: { authorization: basicAuth(WRITE_KEY), 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'track',
      event: 'Checked In',
      userId: 'd1',
      properties: { email: 'down@example.com' },
    }),
  })
  expect(res.status).toBe(200)
  await eventually(() => (states('queue_stale').length > 0 ? true : undefined), 20_000, 'queue_stale')
  expect(states('delivery_failing')).toEqual(['firing nothing delivered'])
  const stale = hook.received.find((r) => r.body.alert === 'queue_stale')!.body
  expect(String(stale.text)).toMatch(/^FIRING queue_stale .*; waiting \d+ minutes?;/)

  sandbox.setFaults({})
  await eventually(() => sandbox.transactions().find((t) => t.email === 'down@example.com'), 30_000)
  await eventually(
    () => (states('delivery_failing').length === 2 && states('queue_stale').length === 2 ? true : undefined),
    20_000,
    'both resolved',
  )
  expect(states('delivery_failing')).toEqual(['firing nothing delivered', 'resolved nothing delivered'])
  expect(states('queue_stale')).toEqual(['firing oldest waiting event', 'resolved oldest waiting event'])
})
