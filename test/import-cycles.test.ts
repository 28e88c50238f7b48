import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src')

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sources(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : []
  })
}

/** Relative imports and re-exports of a module, type-only ones included: they tie modules too. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const found = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]/g)]
  return found.map((match) => resolve(dirname(file), match[1]!.replace(/\.js$/, '.ts')))
}

/** Every cycle, each as the list of files around it (found by depth-first search). */
function cycles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const found: string[][] = []
  const visit = (file: string) => {
    state.set(file, 'open')
    stack.push(file)
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue
      if (state.get(next) === 'open') found.push(stack.slice(stack.indexOf(next)).concat(next))
      else if (state.get(next) === undefined) visit(next)
    }
    stack.pop()
    state.set(file, 'done')
  }
  for (const file of graph.keys()) if (state.get(file) === undefined) visit(file)
  return found
}

test('the import graph of src/ has no cycles', () => {
  const files = sources(SRC)
  expect(files.length).toBeGreaterThan(50)
  const graph = new Map(files.map((file) => [file, importsOf(file)]))
  const found = cycles(graph).map((cycle) => cycle.map((file) => relative(SRC, file)).join(' → '))
  expect(found).toEqual([])
})

test('the check reads imports and finds a cycle, a long one too', () => {
  const app = join(SRC, 'server/app.ts')
  expect(importsOf(app)).toContain(join(SRC, 'server/plugins/admin.ts'))
  const graph = new Map([
    ['a', ['b']],
    ['b', ['c', 'd']],
    ['c', ['a']],
    ['d', []],
  ])
  expect(cycles(graph)).toEqual([['a', 'b', 'c', 'a']])
  expect(
    cycles(
      new Map([
        ['a', ['b']],
        ['b', []],
      ]),
    ),
  ).toEqual([])
})
