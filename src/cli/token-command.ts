/**
 * `token`: gets a Perkville API token with the resource-owner password grant and writes it to a
 * file only its owner can read. The password comes from a prompt that does not echo (a terminal)
 * or from standard input, never from an argument (those show in `ps` and shell history). The
 * token is never printed. Exit 0 written, 1 refused or unreachable, 2 bad arguments.
 */
import { randomBytes } from 'node:crypto'
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import type { Readable, Writable } from 'node:stream'
import { read } from 'read'
import { DEFAULT_TIMEOUT_MS } from '../perkville/client.js'
import { DESTINATION_SCOPES, isPerkvilleScope, PERKVILLE_SCOPES, splitScopes } from '../perkville/scopes.js'
import { requestToken, tokenUrlFor } from '../perkville/token-grant.js'

export interface TokenCommandOptions {
  clientId: string
  clientSecretFile: string
  username: string
  out: string
  perkvilleUrl?: string
  tokenUrl?: string
  scope?: string
  timeout?: string
}

export interface TokenCommandIo {
  stdin: Readable & { isTTY?: boolean }
  stdout: Writable
  stderr: Writable
}

/** Secrets and passwords are short; a longer input is a wrong file or a wrong pipe. */
const MAX_SECRET_BYTES = 4096

class UsageError extends Error {}

export async function tokenCommand(
  opts: TokenCommandOptions,
  io: TokenCommandIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const fail = (code: number, message: string) => {
    io.stderr.write(`perkville-destination token: ${message}\n`)
    return code
  }
  let tokenUrl: string
  let timeoutMs: number
  let clientSecret: string
  let scope: string | undefined
  try {
    tokenUrl = checkedTokenUrl(opts)
    timeoutMs = opts.timeout === undefined ? DEFAULT_TIMEOUT_MS : Number(opts.timeout)
    if (!(Number.isFinite(timeoutMs) && timeoutMs > 0))
      throw new UsageError('--timeout must be a positive number of milliseconds')
    if (opts.clientId.trim() === '') throw new UsageError('--client-id is empty')
    if (opts.username.trim() === '') throw new UsageError('--username is empty')
    scope = opts.scope === undefined ? undefined : checkedScope(opts.scope)
    clientSecret = readSecretFile(opts.clientSecretFile)
  } catch (e) {
    if (e instanceof UsageError) return fail(2, e.message)
    throw e
  }
  let password: string
  try {
    password = await readPassword(io, opts.username)
  } catch (e) {
    if (e instanceof UsageError) return fail(2, e.message)
    // Ctrl-C or Ctrl-D at the prompt.
    return fail(2, `no password read (${e instanceof Error ? e.message : String(e)})`)
  }

  const result = await requestToken({
    tokenUrl,
    clientId: opts.clientId.trim(),
    clientSecret,
    username: opts.username.trim(),
    password,
    ...(scope === undefined ? {} : { scope }),
    timeoutMs,
  })
  if (!result.ok) {
    const hint = {
      client: `check --client-id and the secret in ${opts.clientSecretFile} (Perkville emailed both when the client was registered)`,
      user: `check --username and the password of that Perkville account (a staff member of the business)`,
      scope: `ask only for scopes Perkville assigned the client (${PERKVILLE_SCOPES.join(', ')})`,
      answer: `check the token URL (${tokenUrl}); --token-url sets it`,
      transport: 'check the network and the token URL, then try again',
    }[result.kind]
    return fail(1, `${result.message} -> ${hint}`)
  }
  const out = resolve(opts.out)
  try {
    writePrivateFile(out, `${result.token}\n`)
  } catch (e) {
    return fail(1, `cannot write ${out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
  }
  io.stdout.write(`Token written to ${out} (mode 0600, readable only by you).\n`)
  if (result.scopes === null) {
    io.stdout.write(
      'Perkville did not say which scopes the token carries: run `check` to see what it may do.\n',
    )
  } else {
    io.stdout.write(`Scopes: ${result.scopes.length > 0 ? result.scopes.join(' ') : '(none)'}\n`)
    for (const [name, use] of Object.entries(DESTINATION_SCOPES)) {
      if (!result.scopes.includes(name))
        io.stdout.write(`Missing ${name}: the destination needs it to ${use}.\n`)
    }
  }
  io.stdout.write(`Use the file's content as apiKey in your settings, then run \`check\`.\n`)
  return 0
}

function checkedTokenUrl(opts: TokenCommandOptions): string {
  let url: URL
  let given: string | undefined
  try {
    given = opts.tokenUrl ?? opts.perkvilleUrl
    url = new URL(opts.tokenUrl ?? tokenUrlFor(opts.perkvilleUrl))
  } catch {
    throw new UsageError(
      `${opts.tokenUrl !== undefined ? '--token-url' : '--perkville-url'} must be an http(s) URL, got ${JSON.stringify(given)}`,
    )
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new UsageError(`the token URL must be an http(s) URL, got ${JSON.stringify(url.protocol)}`)
  // A password sent in clear over a network is a password given away; loopback (the sandbox) is fine.
  if (url.protocol === 'http:' && !isLoopback(url.hostname))
    throw new UsageError(`refusing to send a password over plain http to ${url.host}: use an https URL`)
  return url.toString()
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname)
}

function checkedScope(text: string): string {
  const scopes = splitScopes(text.replaceAll(',', ' '))
  const unknown = scopes.filter((s) => !isPerkvilleScope(s))
  if (scopes.length === 0) throw new UsageError('--scope is empty')
  if (unknown.length > 0)
    throw new UsageError(
      `--scope: ${unknown.map((s) => JSON.stringify(s)).join(', ')} ${unknown.length === 1 ? 'is not a' : 'are not'} Perkville scope${unknown.length === 1 ? '' : 's'} (${PERKVILLE_SCOPES.join(', ')})`,
    )
  return scopes.join(' ')
}

function readSecretFile(path: string): string {
  let bytes: Buffer
  try {
    bytes = readFileSync(path)
  } catch (e) {
    throw new UsageError(
      `cannot read --client-secret-file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    )
  }
  if (bytes.length > MAX_SECRET_BYTES)
    throw new UsageError(
      `--client-secret-file ${path} is longer than ${MAX_SECRET_BYTES} bytes: not a client secret`,
    )
  const secret = bytes.toString('utf8').trim()
  if (secret === '') throw new UsageError(`--client-secret-file ${path} is empty`)
  return secret
}

async function readPassword(io: TokenCommandIo, username: string): Promise<string> {
  if (io.stdin.isTTY) {
    const answer = await read({
      prompt: `Perkville password for ${username}: `,
      silent: true,
      input: io.stdin,
      output: io.stderr,
    })
    if (answer === '') throw new UsageError('the password is empty')
    return answer
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of io.stdin) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer)
    size += buf.length
    if (size > MAX_SECRET_BYTES)
      throw new UsageError(`the password on standard input is longer than ${MAX_SECRET_BYTES} bytes`)
    chunks.push(buf)
  }
  // One line: `echo "$PW" | …` and `< file` end it with a newline that is not part of the password.
  const password = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '')
  if (password === '')
    throw new UsageError(
      'no password: type it at the prompt or give it on standard input (never as an argument)',
    )
  return password
}

/**
 * Writes a file that only its owner can read: created 0600 under a temporary name in the same
 * directory, synced, then renamed over the target, so no reader ever sees a partial or wider file.
 */
function writePrivateFile(path: string, content: string): void {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  const fd = openSync(temp, 'wx', 0o600)
  try {
    writeSync(fd, content)
    fsyncSync(fd)
  } catch (e) {
    closeSync(fd)
    rmSync(temp, { force: true })
    throw e
  }
  closeSync(fd)
  try {
    renameSync(temp, path)
  } catch (e) {
    rmSync(temp, { force: true })
    throw e
  }
}
