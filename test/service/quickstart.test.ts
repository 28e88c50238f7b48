import { execFile } from 'node:child_process'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, expect, test } from 'vitest'
import { eventually, removeDir, spawnServe, stopServe, tempDir } from './helpers.js'

const run = promisify(execFile)
const cwd = tempDir('perkville-quickstart-')
const processes: Array<ReturnType<typeof spawnServe>> = []
afterAll(async () => {
  for (const proc of processes) await stopServe(proc, 'SIGKILL')
  removeDir(cwd)
})

/** Starts `serve` as `npm start` does, with no configuration but a free port, and waits for the banner. */
async function startBare(args: string[] = []) {
  const env: Record<string, string> = {}
  for (const name of Object.keys(process.env))
    if (name.startsWith('PERKVILLE_') || name === 'PORT') env[name] = ''
  const proc = spawnServe({
    bare: true,
    cwd,
    args: ['--port', '0', ...args],
    env: { ...env, PERKVILLE_LOG_LEVEL: 'warn' },
  })
  processes.push(proc)
  const banner = await eventually(
    () => (proc.stdout().includes('See it in the sandbox:') ? proc.stdout() : undefined),
    20_000,
    `the start-up banner (stderr: ${proc.stderr()})`,
  )
  return { proc, banner }
}

/** The command on the line after a heading of the banner. */
function commandAfter(banner: string, heading: string): string {
  const lines = banner.split('\n')
  const at = lines.findIndex((line) => line.startsWith(heading))
  expect(at, heading).toBeGreaterThan(-1)
  return lines[at + 1]!.trim()
}

const bash = async (command: string) =>
  (await run('bash', ['-c', `${command} --silent --show-error`], { cwd })).stdout

test('no configuration: the printed curl awards points, visible in the sandbox and the admin API', async () => {
  const { proc, banner } = await startBare()
  const writeKey = readFileSync(join(cwd, 'data', 'write-key'), 'utf8').trim()
  const adminToken = readFileSync(join(cwd, 'data', 'admin-token'), 'utf8').trim()
  // Generated secrets are private to the service's user and never printed.
  expect(statSync(join(cwd, 'data', 'write-key')).mode & 0o777).toBe(0o600)
  expect(statSync(join(cwd, 'data', 'admin-token')).mode & 0o777).toBe(0o600)
  expect(proc.stdout()).not.toContain(writeKey)
  expect(proc.stdout()).not.toContain(adminToken)
  expect(banner).toMatch(/Tracking API +http:\/\/127\.0\.0\.1:\d+\/v1\/track/)
  expect(banner).toMatch(/Perkville +http:\/\/127\.0\.0\.1:\d+\/v2\/ +\(embedded sandbox/)

  // The console URL it prints serves the page, and the admin token from the file signs in.
  const consoleUrl =
    /Console +(http:\/\/127\.0\.0\.1:\d+\/) +\(.*admin token from \.\/data\/admin-token\)/.exec(banner)?.[1]
  expect(consoleUrl).toBeDefined()
  const page = await fetch(consoleUrl!)
  expect(page.status).toBe(200)
  expect(await page.text()).toContain('/console/console.js')
  const session = await fetch(`${consoleUrl}console/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: adminToken }),
  })
  expect(session.status).toBe(204)

  const award = commandAfter(banner, 'Award points')
  expect(award).toContain('$(cat ./data/write-key)')
  expect(JSON.parse(await bash(award))).toEqual({ success: true })

  const inSandbox = await eventually(
    async () => {
      const body = JSON.parse(await bash(commandAfter(banner, 'See it in the sandbox'))) as {
        objects: Array<{ email: string; perk: number; points: number }>
      }
      return body.objects.length > 0 ? body.objects : undefined
    },
    5000,
    'the award in the sandbox',
  )
  expect(inSandbox).toEqual([expect.objectContaining({ email: 'jane@example.com', perk: 3001 })])

  const viaAdmin = JSON.parse(await bash(commandAfter(banner, 'See it through the admin API'))) as {
    events: Array<{ status: string; email: string; perkId: string }>
  }
  expect(viaAdmin.events).toEqual([
    expect.objectContaining({ status: 'delivered', email: 'jane@example.com', perkId: '3001' }),
  ])

  // As a new user would in the console: an event that is refused, then both found by the email.
  const refused = await fetch(`${consoleUrl}v1/track`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`,
    },
    body: JSON.stringify({
      type: 'track',
      event: 'Page Liked',
      userId: 'user-1',
      properties: { email: 'Jane@Example.com' },
    }),
  })
  expect(refused.status).toBe(200)
  const cookie = session.headers.get('set-cookie')!.split(';')[0]!
  const found = (await (
    await fetch(`${consoleUrl}admin/events?q=jane%40example.com`, { headers: { cookie } })
  ).json()) as { events: Array<{ status: string; code: string | null }> }
  expect(found.events.map((e) => [e.status, e.code])).toEqual([
    ['rejected', 'EVENT_NOT_ALLOWLISTED'],
    ['delivered', null],
  ])

  // A second paste is a new check-in (fresh messageId), so it awards again.
  expect(JSON.parse(await bash(award))).toEqual({ success: true })
  await eventually(
    async () => {
      const body = JSON.parse(await bash(commandAfter(banner, 'See it in the sandbox'))) as {
        objects: unknown[]
      }
      return body.objects.length === 2 ? true : undefined
    },
    5000,
    'the second award',
  )

  expect(await stopServe(proc)).toEqual({ code: 0, signal: null })

  // The next start reuses the generated secrets and the sandbox's data.
  const again = await startBare()
  expect(readFileSync(join(cwd, 'data', 'write-key'), 'utf8').trim()).toBe(writeKey)
  const sandboxAgain = JSON.parse(await bash(commandAfter(again.banner, 'See it in the sandbox'))) as {
    objects: unknown[]
  }
  expect(sandboxAgain.objects).toHaveLength(2)
  expect(JSON.parse(await bash(commandAfter(again.banner, 'Award points')))).toEqual({ success: true })
  expect(await stopServe(again.proc)).toEqual({ code: 0, signal: null })
}, 60_000)

test('the printed curl uses an event the settings in force award, whatever the map', async () => {
  const settings = join(cwd, 'own-settings.json')
  writeFileSync(
    settings,
    JSON.stringify({
      apiKey: 'sandbox-token',
      businessId: 1001,
      locationId: 2001,
      eventToPerkMap: { 'Order Refunded': 3002, 'Order Completed': 3002, "Class Booked at Joe's": 3003 },
    }),
  )
  const { proc, banner } = await startBare(['--sandbox', '--settings', settings, '--data-dir', 'data-own'])
  expect(banner).toContain(`Award points (Class Booked at Joe's -> perk 3003):`)
  expect(JSON.parse(await bash(commandAfter(banner, 'Award points')))).toEqual({ success: true })
  const delivered = await eventually(async () => {
    const body = JSON.parse(await bash(commandAfter(banner, 'See it in the sandbox'))) as {
      objects: { perk: number; quantity: number }[]
    }
    return body.objects.length > 0 ? body.objects : undefined
  }, 15_000)
  expect(delivered).toHaveLength(1)
  expect(delivered[0]).toMatchObject({ perk: 3003, quantity: 1, email: 'jane@example.com' })
  expect(await stopServe(proc)).toEqual({ code: 0, signal: null })
}, 60_000)
