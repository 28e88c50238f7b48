import { execFile, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { captureOutput } from '../cli-child.js'

/**
 * The package as it ships: scripts/install-packed.sh (the Dockerfile's install step) packs this
 * built checkout and installs the tarball with runtime dependencies only; the installed command must
 * start and be ready. better-sqlite3 gets the binary this checkout already built, as a local prebuild
 * (the network has no GitHub to download one from, and compiling again would take minutes).
 */
const root = fileURLToPath(new URL('../../', import.meta.url))
const work = mkdtempSync(join(tmpdir(), 'packed-install-'))
const prefix = join(work, 'opt')
const bin = join(prefix, 'node_modules', '.bin', 'perkville-destination')

function localPrebuild(): string {
  const dir = join(work, 'prebuilds')
  mkdirSync(dir)
  const module = join(root, 'node_modules', 'better-sqlite3')
  const { version } = JSON.parse(readFileSync(join(module, 'package.json'), 'utf8')) as { version: string }
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`
  execFileSync('tar', ['-czf', join(dir, name), '-C', module, 'build/Release/better_sqlite3.node'])
  return dir
}

beforeAll(async () => {
  // Asynchronously: a minute-long synchronous call would starve the test worker's own messages.
  await promisify(execFile)(join(root, 'scripts', 'install-packed.sh'), [prefix], {
    cwd: root,
    env: { ...process.env, npm_config_better_sqlite3_local_prebuilds: localPrebuild() },
    timeout: 600_000,
    maxBuffer: 16 * 1024 * 1024,
  })
}, 600_000)
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('the packed package, installed as the Dockerfile installs it', () => {
  it('has no dev dependency and its command serves: ready, then a clean stop', async () => {
    expect(existsSync(bin)).toBe(true)
    expect(existsSync(join(prefix, 'node_modules', 'vitest'))).toBe(false)
    const data = join(work, 'data')
    const ready = join(work, 'ready.json')
    const child = spawn(bin, ['serve', '--port', '0', '--data-dir', data, '--ready-file', ready], {
      cwd: work,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PERKVILLE_LOG_LEVEL: 'warn' },
    })
    const output = captureOutput(child)
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)))
    try {
      while (!existsSync(ready)) {
        if (child.exitCode !== null) throw new Error(`serve exited:\n${output.stderr()}${output.stdout()}`)
        await sleep(50)
      }
      const { url } = JSON.parse(readFileSync(ready, 'utf8')) as { url: string }
      const res = await fetch(`${url}/readyz`)
      expect(res.status).toBe(200)
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
  })

  it.skipIf(!existsSync('/usr/bin/systemd-analyze'))(
    'the systemd unit passes systemd-analyze verify (its ExecStart pointed at this install)',
    () => {
      const unit = readFileSync(join(root, 'deploy', 'perkville-destination.service'), 'utf8').replaceAll(
        '/opt/perkville-destination',
        prefix,
      )
      const file = join(work, 'perkville-destination.service')
      writeFileSync(file, unit)
      const run = () => execFileSync('systemd-analyze', ['verify', file], { encoding: 'utf8', stdio: 'pipe' })
      expect(run).not.toThrow()
    },
  )

  it('the Dockerfile installs with the same script, runs as a non-root user, keeps data in a volume, checks /readyz', () => {
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8')
    expect(dockerfile).toMatch(
      /^RUN npm ci .*\\\n && scripts\/install-packed\.sh \/opt\/perkville-destination$/m,
    )
    expect(dockerfile).toMatch(/^USER perkville$/m)
    expect(dockerfile).toMatch(/^VOLUME \["\/var\/lib\/perkville-destination\/data"\]$/m)
    expect(dockerfile).toMatch(/PERKVILLE_DATA_DIR=\/var\/lib\/perkville-destination\/data/)
    expect(dockerfile).toMatch(/PERKVILLE_HOST=0\.0\.0\.0/)
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n.*\/readyz/m)
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2)
  })
})
