import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../', import.meta.url))
const parent = dirname(root.replace(/\/$/, ''))

/** Every file git tracks (or would track) in the repository, lock file and fixtures aside. */
function repositoryFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  })
  return listed
    .split('\n')
    .filter((f) => f !== '' && f !== 'package-lock.json' && !f.startsWith('test/fixtures/'))
    .filter((f) => /\.(ts|mts|mjs|js|json|md|sql|sh|html|css|tsx)$|^\.ci\/run$/.test(f))
}

describe('the repository stands alone', () => {
  const files = repositoryFiles()

  it('has files to check', () => {
    expect(files.length).toBeGreaterThan(50)
  })

  it('no file reads or links ../shared or a path beside the checkout', () => {
    const offenders: string[] = []
    // Built from parts so this file does not match its own patterns.
    const sharedRef = new RegExp(['\\.\\.', 'shared', '(spec|conformance|seeds|hooks)'].join('/'))
    const besideCheckout = `${parent}/`
    for (const file of files) {
      if (file === 'test/repository-stands-alone.test.ts') continue
      const lines = readFileSync(join(root, file), 'utf8').split('\n')
      lines.forEach((line, i) => {
        if (sharedRef.test(line) || (parent !== '/' && line.includes(besideCheckout)))
          offenders.push(`${file}:${i + 1}`)
      })
    }
    expect(offenders).toEqual([])
  })
})
