/**
 * The runtime install (`npm ci --omit=dev`) leaves out what only the Segment Actions package uses:
 * `@segment/actions-core` and `liquidjs` are dev dependencies and optional peers, and neither the
 * package entry nor `serve` (what `npm start` runs) loads them. Checked on the built files with a
 * preload that makes those two packages impossible to load, as they are after `--omit=dev`.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { removeDir, startServe, stopServe, tempDir } from '../service/helpers.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const ACTIONS_ONLY = ['@segment/actions-core', 'liquidjs']
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<
  string,
  Record<string, unknown>
>

const dir = tempDir('pv-runtime-deps-')
afterAll(() => removeDir(dir))
// actions-core is loaded through require (src/segment/actions/actions-core.ts) and requires liquidjs.
const hook = join(dir, 'forbid-actions-packages.cjs')
writeFileSync(
  hook,
  `const Module = require('node:module')
const forbidden = ${JSON.stringify(ACTIONS_ONLY)}
const resolve = Module._resolveFilename
Module._resolveFilename = function (request, ...rest) {
  if (forbidden.some((name) => request === name || request.startsWith(name + '/')))
    throw Object.assign(new Error('not installed: ' + request), { code: 'MODULE_NOT_FOUND' })
  return resolve.call(this, request, ...rest)
}
`,
)
const withoutActions = { NODE_OPTIONS: `--require ${hook}` }

const importIn = (file: string) =>
  spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(file)})`], {
    env: { ...process.env, ...withoutActions },
    encoding: 'utf8',
  })

describe('runtime dependencies', () => {
  it('lists the Actions-only packages as dev dependencies and optional peers, not as dependencies', () => {
    for (const name of ACTIONS_ONLY) {
      expect(pkg.dependencies?.[name], name).toBeUndefined()
      expect(pkg.devDependencies?.[name], name).toBeDefined()
      expect(pkg.peerDependencies?.[name], name).toBe(pkg.devDependencies?.[name])
      expect(pkg.peerDependenciesMeta?.[name], name).toEqual({ optional: true })
    }
  })

  it('the package entry loads without them; the Actions entry needs them (the preload works)', () => {
    const entry = importIn(join(root, String(pkg.main)))
    expect(entry.stderr).toBe('')
    expect(entry.status).toBe(0)
    const actions = importIn(join(root, 'dist/segment/actions/perkville/index.js'))
    expect(actions.status).not.toBe(0)
    expect(actions.stderr).toContain('not installed: @segment/actions-core')
  })

  it('`serve` (npm start) starts and answers without them', async () => {
    const proc = await startServe({ env: withoutActions })
    try {
      expect((await fetch(`${proc.url}/readyz`)).status).toBe(200)
    } finally {
      await stopServe(proc)
      removeDir(proc.dataDir)
    }
  })
})
