import type { Command } from 'commander'

/**
 * Adds a command whose module is loaded only when it runs (`plan` never loads the HTTP server or the
 * databases); what `run` resolves to is the exit code.
 */
export function lazyCommand<A extends unknown[]>(
  program: Command,
  name: string,
  description: string,
  run: (...args: A) => Promise<number>,
): Command {
  return program
    .command(name)
    .description(description)
    .action(async (...args: A) => {
      process.exitCode = await run(...args)
    })
}
