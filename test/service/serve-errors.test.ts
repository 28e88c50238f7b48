import { afterAll, expect, test } from 'vitest'
import { removeDir, spawnServe, tempDir } from './helpers.js'

const dir = tempDir('perkville-serve-errors-')
afterAll(() => removeDir(dir))

async function failingStart(args: string[], env: Record<string, string> = {}) {
  const proc = spawnServe({ bare: true, cwd: dir, args: ['--port', '0', '--data-dir', dir, ...args], env })
  const exit = await proc.exited
  return { exit, stderr: proc.stderr(), stdout: proc.stdout() }
}

test('bad options stop the start with exit 2 and a message naming each option and its source', async () => {
  const secret = 'tiny tok'
  const { exit, stderr, stdout } = await failingStart(['--concurrency', 'lots', '--admin-token', secret], {
    PERKVILLE_RETRY_FOR: 'a while',
  })
  expect(exit.code).toBe(2)
  expect(stderr).toContain('--concurrency (command line): must be an integer from 1 to 1024, got "lots"')
  expect(stderr).toContain('PERKVILLE_RETRY_FOR (environment): must be a duration')
  expect(stderr).toContain('--admin-token (command line): must be at least 8 characters')
  expect(stderr + stdout).not.toContain(secret)
})

test('--perkville-url without settings, or contradicting --sandbox, is refused clearly', async () => {
  const noSettings = await failingStart(['--perkville-url', 'http://127.0.0.1:9/v2/'])
  expect(noSettings.exit.code).toBe(2)
  expect(noSettings.stderr).toMatch(/--perkville-url needs --settings/)
  const both = await failingStart(['--perkville-url', 'http://127.0.0.1:9/v2/', '--sandbox'])
  expect(both.exit.code).toBe(2)
  expect(both.stderr).toMatch(/--sandbox \(command line\) and --perkville-url \(command line\) contradict/)
})

test('an invalid settings file is refused without echoing its API key', async () => {
  const { writeFileSync } = await import('node:fs')
  const file = `${dir}/bad-settings.json`
  writeFileSync(
    file,
    JSON.stringify({ apiKey: 'real-looking-api-key-123', businessId: 'abc', locationId: 2001 }),
  )
  const { exit, stderr } = await failingStart(['--settings', file])
  expect(exit.code).toBe(2)
  expect(stderr).toMatch(/businessId must be a positive integer/)
  expect(stderr).not.toContain('real-looking-api-key-123')
})

test('a port in use is answered with how to choose another (--port, PORT), not a bare EADDRINUSE', async () => {
  const { createServer } = await import('node:net')
  const taken = createServer()
  await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done))
  const { port } = taken.address() as { port: number }
  try {
    const { exit, stderr } = await failingStart(['--port', String(port)])
    expect(exit.code).toBe(2)
    expect(stderr).toContain(`port ${port} on 127.0.0.1 is already in use`)
    expect(stderr).toMatch(/--port <n> or PORT=<n>/)
    expect(stderr).not.toContain('EADDRINUSE')
  } finally {
    taken.close()
  }
})
