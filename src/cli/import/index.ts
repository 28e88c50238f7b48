import type { Command } from 'commander'
import { lazyCommand } from '../lazy-command.js'
import { IMPORT_OPTIONS, type RawImportOptions } from './options.js'

/** Adds `import` to the program, its options straight from IMPORT_OPTIONS. */
export function registerImportCommand(program: Command): void {
  // Loaded when the command runs, like the other commands (see cli/index.ts).
  const command = lazyCommand(program, 'import', async (files: string[], opts: RawImportOptions) =>
    (await import('./command.js')).importCommand(files, opts),
  )
    .description(
      'Send historical events (JSONL, or CSV with a mapping) to a running service through /v1/import, exactly once across re-runs, with progress; --dry-run decides them locally.',
    )
    .argument('[files...]', 'JSONL or CSV files; "-" or nothing reads standard input')
  for (const spec of IMPORT_OPTIONS) {
    if (spec.collect) command.option(spec.flags, spec.description, spec.collect, spec.default as string[])
    else if (spec.default !== undefined) command.option(spec.flags, spec.description, spec.default as string)
    else command.option(spec.flags, spec.description)
  }
}
