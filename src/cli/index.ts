#!/usr/bin/env node
import { Command } from 'commander'
import { VERSION } from '../version.js'
import { planCommand } from './plan-command.js'

const program = new Command()
  .name('perkville-destination')
  .description('Turns Segment-spec events into Perkville loyalty-points transactions.')
  .version(VERSION)

program
  .command('plan')
  .description('Dry run: decide each event of a JSONL file (or standard input) and print one JSON line per event.')
  .requiredOption('--settings <file>', 'destination settings (JSON)')
  .argument('[events]', 'JSONL file of Segment events; standard input when omitted or "-"')
  .action(async (events: string | undefined, opts: { settings: string }) => {
    process.exitCode = await planCommand(opts, events)
  })

await program.parseAsync(process.argv)
