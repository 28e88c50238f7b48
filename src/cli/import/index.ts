import type { Command } from 'commander'
import { IMPORT_OPTIONS, type RawImportOptions } from './options.js'

/** Adds `import` to the program, its options straight from IMPORT_OPTIONS. */
export function registerImportCommand(program: Command): void {
  const command = program
    .command('import')
    .description(
      'Send historical events (JSONL, or CSV with a mapping) to a running service through /v1/import, exactly once across re-runs, with progress; --dry-run decides them locally.',
    )
    .argument('[files...]', 'JSONL or CSV files; "-" or nothing reads standard input')
  for (const spec of IMPORT_OPTIONS) {
    if (spec.collect) command.option(spec.flags, spec.description, spec.collect, spec.default as string[])
    else if (spec.default !== undefined) command.option(spec.flags, spec.description, spec.default as string)
    else command.option(spec.flags, spec.description)
  }
  command.action(async (files: string[], opts: RawImportOptions) => {
    // Loaded when the command runs, like the other commands (see cli/index.ts).
    const { importCommand } = await import('./command.js')
    process.exitCode = await importCommand(files, opts)
  })
}
