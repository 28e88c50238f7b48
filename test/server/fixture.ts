import { type RunningSandbox, startSandbox } from '../../src/sandbox/index.js'
import { loadConfig } from '../../src/server/config.js'
import { type RunningService, type StartOptions, startService } from '../../src/server/service-runner.js'
import { basicAuth, removeDir, tempDir, writeSandboxSettings } from '../service/helpers.js'

export const WRITE_KEY = 'wk_test_0123456789abcdef'
export const OTHER_WRITE_KEY = 'wk_other_fedcba9876543210'
export const ADMIN_TOKEN = 'adm_test_token_5f1d2c3b4a'
export const AUTH = { authorization: basicAuth(WRITE_KEY) }
export const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` }

export const EVENT_TO_PERK = {
  'Order Completed': '3002',
  'Order Refunded': '3002',
  'Checked In': '3001',
  'Referral Sent': '3003',
  // A perk the sandbox does not have: Perkville refuses it, a permanent failure for the admin tests.
  'Unknown Perk': '9999',
}

export interface TestService extends RunningService {
  sandbox: RunningSandbox
  logs: string[]
  dataDir: string
  close(): Promise<void>
}

export async function startTestService(
  cli: Record<string, unknown> = {},
  options: Omit<StartOptions, 'logDestination'> = {},
): Promise<TestService> {
  const sandbox = await startSandbox({ memory: true })
  const dataDir = tempDir('perkville-server-')
  const settingsFile = writeSandboxSettings(dataDir, sandbox.token, EVENT_TO_PERK)
  const config = loadConfig({
    cli: {
      port: '0',
      dataDir,
      settings: settingsFile,
      perkvilleUrl: sandbox.url,
      writeKey: [WRITE_KEY, OTHER_WRITE_KEY],
      adminToken: ADMIN_TOKEN,
      logLevel: 'trace',
      retryFor: '1m',
      ...cli,
    },
    env: {},
  })
  const logs: string[] = []
  const running = await startService(config, {
    ...options,
    logDestination: {
      write(line: string) {
        logs.push(line)
      },
    },
  })
  return {
    ...running,
    sandbox,
    logs,
    dataDir,
    async close() {
      await running.stop('test finished')
      await sandbox.close()
      removeDir(dataDir)
    },
  }
}

export async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body:
      typeof body === 'string'
        ? body
        : body instanceof Uint8Array
          ? new Blob([new Uint8Array(body)])
          : JSON.stringify(body),
  })
  const text = await res.text()
  let json: unknown = null
  try {
    json = JSON.parse(text)
  } catch {}
  return { status: res.status, headers: res.headers, json: json as Record<string, unknown> | null, text }
}

export async function getJson(url: string, headers: Record<string, string> = ADMIN) {
  const res = await fetch(url, { headers })
  return {
    status: res.status,
    json: (await res.json()) as Record<string, unknown> & { [k: string]: unknown },
  }
}

let counter = 0
/** A unique track event for the sandbox's Checked In perk. */
export function checkIn(email: string, extra: Record<string, unknown> = {}) {
  counter++
  return {
    type: 'track',
    event: 'Checked In',
    userId: `user-${counter}`,
    messageId: `msg-${process.pid}-${Date.now()}-${counter}`,
    properties: { email },
    ...extra,
  }
}
