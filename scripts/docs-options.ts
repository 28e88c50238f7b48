/** Regenerates the options table of docs/service.md from src/server/options-table.ts. */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { withOptionsTable } from '../src/server/options-doc.js'

const path = fileURLToPath(new URL('../docs/service.md', import.meta.url))
const before = readFileSync(path, 'utf8')
const after = withOptionsTable(before)
if (after === before) process.stdout.write('docs/service.md: options table already up to date\n')
else {
  writeFileSync(path, after)
  process.stdout.write('docs/service.md: options table regenerated\n')
}
