import type { Command } from 'commander'

/** Adds a command whose action is `run` (see cli/index.ts: its module loads only then); it resolves to the exit code. */
export function lazyCommand<A extends unknown[]>(
  program: Command,
  name: string,
  run: (...args: A) => Promise<number>,
): Command {
  return program.command(name).action(async (...args: A) => {
    process.exitCode = await run(...args)
  })
}
