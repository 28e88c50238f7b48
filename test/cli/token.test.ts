/**
 * `perkville-destination token` as a user runs it: the built CLI as a child process against a
 * sandbox child, the password on standard input or typed at a terminal (a real pty via script(1)).
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CLIENT, DEFAULT_USER } from '../../src/sandbox/seed.js'
import { CLI, captureOutput } from '../cli-child.js'
import { CONFORMANCE_SETTINGS } from '../fixtures/conformance.js'
import { runCli, type SandboxChild, startSandboxChild } from '../sandbox/child.js'

const dir = mkdtempSync(join(tmpdir(), 'pv-token-'))
const secretFile = join(dir, 'client-secret')
writeFileSync(secretFile, `${DEFAULT_CLIENT.clientSecret}\n`)
const conformance = JSON.parse(readFileSync(CONFORMANCE_SETTINGS, 'utf8')) as Record<string, unknown>

let sandbox: SandboxChild
beforeAll(async () => {
  sandbox = await startSandboxChild()
})
afterAll(async () => {
  await sandbox?.stop()
})

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `token` with the password written to its standard input (then closed). */
function token(args: string[], stdin: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'token', ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
    const output = captureOutput(child)
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout: output.stdout(), stderr: output.stderr() }))
    child.stdin.end(stdin)
  })
}

const args = (out: string, ...extra: string[]) => argsWithSecret(secretFile, out, ...extra)
const argsWithSecret = (secret: string, out: string, ...extra: string[]) => [
  '--client-id',
  DEFAULT_CLIENT.clientId,
  '--client-secret-file',
  secret,
  '--username',
  DEFAULT_USER.username,
  '--perkville-url',
  sandbox.url,
  '--out',
  out,
  ...extra,
]

const readToken = (file: string) => readFileSync(file, 'utf8').trim()

/** `check` against the sandbox with the conformance settings and this token as apiKey. */
function checkWith(apiKey: string, name: string) {
  const path = join(dir, name)
  writeFileSync(path, JSON.stringify({ ...conformance, apiKey }))
  return runCli(['check', '--settings', path, '--perkville-url', sandbox.url])
}

describe('perkville-destination token', () => {
  it('reads the password from standard input, writes a working token with mode 0600, never prints it', async () => {
    const out = join(dir, 'token-stdin')
    const run = await token(args(out), `${DEFAULT_USER.password}\n`)
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(statSync(out).mode & 0o777).toBe(0o600)
    const issued = readToken(out)
    expect(issued).toMatch(/^[A-Za-z0-9\-._~+/]{20,}=*$/)
    expect(run.stdout).toContain(`Token written to ${out} (mode 0600`)
    expect(run.stdout).toContain('ADMIN_CUSTOMER_GRANT_POINTS')
    expect(run.stdout + run.stderr).not.toContain(issued)
    expect(run.stdout + run.stderr).not.toContain(DEFAULT_USER.password)
    expect(run.stdout + run.stderr).not.toContain(DEFAULT_CLIENT.clientSecret)

    // The sandbox's API takes the token it issued: `check` passes every item with it.
    const check = await checkWith(issued, 'issued.json')
    expect(check.stdout).toContain('All 8 checks passed.')
    expect(check.code).toBe(0)
    expect(check.stdout + check.stderr).not.toContain(issued)
  })

  it('replaces an existing token file and keeps mode 0600 even where the old file was wider', async () => {
    const out = join(dir, 'token-replace')
    writeFileSync(out, 'old\n', { mode: 0o644 })
    const run = await token(args(out), DEFAULT_USER.password)
    expect(run.code).toBe(0)
    expect(readToken(out)).not.toBe('old')
    expect(statSync(out).mode & 0o777).toBe(0o600)
  })

  it.skipIf(!hasScript())('prompts on a terminal without echoing the password', async () => {
    const out = join(dir, 'token-tty')
    const command = [process.execPath, CLI, 'token', ...args(out)].map(shellQuote).join(' ')
    const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] })
    const output = captureOutput(child)
    const closed = new Promise<number | null>((resolve) => child.once('close', resolve))
    // Type only once the prompt is there: what a pty gets before the echo is turned off is echoed.
    await new Promise<void>((resolve) => {
      const onData = () => {
        if (!output.stdout().includes(`Perkville password for ${DEFAULT_USER.username}:`)) return
        child.stdout.off('data', onData)
        resolve()
      }
      child.stdout.on('data', onData)
      onData()
    })
    child.stdin.write(`${DEFAULT_USER.password}\r`)
    const code = await closed
    expect(output.stdout()).toContain(`Token written to ${out}`)
    expect(code).toBe(0)
    expect(output.stdout() + output.stderr()).not.toContain(DEFAULT_USER.password)
    expect(output.stdout()).not.toContain(readToken(out))
    expect(statSync(out).mode & 0o777).toBe(0o600)
  })

  it('says a wrong password was refused, without echoing it, and writes nothing', async () => {
    const out = join(dir, 'token-wrong-password')
    const wrong = 'not-the-password-7f3a'
    const run = await token(args(out), `${wrong}\n`)
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/the username or password was refused: HTTP 400 \(invalid_grant/)
    expect(run.stderr).toContain('check --username and the password')
    expect(run.stdout + run.stderr).not.toContain(wrong)
    expect(existsSync(out)).toBe(false)
  })

  it('says a wrong client secret was refused, without echoing it', async () => {
    const badSecret = join(dir, 'bad-secret')
    writeFileSync(badSecret, 'wrong-client-secret-91c\n')
    const out = join(dir, 'token-wrong-client')
    const run = await token(argsWithSecret(badSecret, out), DEFAULT_USER.password)
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/the client id or secret was refused: HTTP 401 \(invalid_client/)
    expect(run.stderr).toContain(`the secret in ${badSecret}`)
    expect(run.stdout + run.stderr).not.toContain('wrong-client-secret-91c')
    expect(run.stdout + run.stderr).not.toContain(DEFAULT_USER.password)
    expect(existsSync(out)).toBe(false)
  })

  it('a token without ADMIN_CUSTOMER_GRANT_POINTS: `token` and then `check` name the missing scope', async () => {
    const out = join(dir, 'token-no-grant')
    const run = await token(args(out, '--scope', 'PUBLIC,ADMIN_CUSTOMER_INFO'), DEFAULT_USER.password)
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('Scopes: PUBLIC ADMIN_CUSTOMER_INFO')
    expect(run.stdout).toContain('Missing ADMIN_CUSTOMER_GRANT_POINTS: the destination needs it to award')
    const check = await checkWith(readToken(out), 'no-grant.json')
    expect(check.code).toBe(1)
    expect(check.stdout).toMatch(
      /^FAIL scope ADMIN_CUSTOMER_GRANT_POINTS: the token may not grant points: it lacks the ADMIN_CUSTOMER_GRANT_POINTS scope/m,
    )
    expect(check.stdout).toMatch(/^ok {3}scope ADMIN_CUSTOMER_INFO/m)
  })

  it('a token without PUBLIC: `check` says the business cannot be read for lack of PUBLIC', async () => {
    const out = join(dir, 'token-no-public')
    const run = await token(
      args(out, '--scope', 'ADMIN_CUSTOMER_INFO ADMIN_CUSTOMER_GRANT_POINTS'),
      DEFAULT_USER.password,
    )
    expect(run.stdout).toContain('Missing PUBLIC')
    const check = await checkWith(readToken(out), 'no-public.json')
    expect(check.code).toBe(1)
    expect(check.stdout).toMatch(/^FAIL token: token rejected: it lacks the PUBLIC scope/m)
  })

  it('refuses bad arguments with exit 2 before asking anything', async () => {
    const cases: [string[], RegExp][] = [
      [
        args(join(dir, 'x'), '--scope', 'ADMIN_EVERYTHING'),
        /--scope: "ADMIN_EVERYTHING" is not a Perkville scope/,
      ],
      [
        [...args(join(dir, 'x')), '--token-url', 'http://perkville.example/api/token/'],
        /refusing to send a password over plain http to perkville.example/,
      ],
      [argsWithSecret(join(dir, 'none'), join(dir, 'x')), /cannot read --client-secret-file .*ENOENT/],
    ]
    for (const [argv, message] of cases) {
      const run = await token(argv, DEFAULT_USER.password)
      expect(run.code, argv.join(' ')).toBe(2)
      expect(run.stderr).toMatch(message)
    }
    const empty = await token(args(join(dir, 'x')), '')
    expect(empty.code).toBe(2)
    expect(empty.stderr).toContain('no password: type it at the prompt or give it on standard input')
    // No --password option exists: a password given as an argument is refused by the parser.
    const asArgument = await token([...args(join(dir, 'x')), '--password', 'p'], '')
    expect(asArgument.code).not.toBe(0)
    expect(asArgument.stderr).toContain("unknown option '--password'")
    expect(existsSync(join(dir, 'x'))).toBe(false)
  })
})

function hasScript(): boolean {
  return spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`
}
