// Copies the stores' migration files (src/**/*.sql) to the same places under dist/: tsc only emits
// what it compiles, and the stores read their migrations from beside their compiled modules.
import { cpSync, readdirSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const src = join(root, 'src')
const dist = join(root, 'dist')

let copied = 0
for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.sql')) continue
  const from = join(entry.parentPath, entry.name)
  cpSync(from, join(dist, relative(src, from)))
  copied++
}
console.log(`copied ${copied} migration file(s) to ${relative(root, dist)}/`)
