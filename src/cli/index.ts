#!/usr/bin/env node
import { Command } from 'commander'
import { VERSION } from '../version.js'
import { DEFAULT_SANDBOX_PORT } from './defaults.js'
import { registerImportCommand } from './import/index.js'
import { lazyCommand } from './lazy-command.js'
import { addServeOptions } from './serve-options.js'

/**
 * What each command runs, from its module loaded only when that command runs: `plan` never loads the
 * HTTP server or the databases, and `serve` refuses a locked data directory before loading what it
 * would not use. Each resolves to the exit code.
 */
const run = {
  plan: async (events: string | undefined, opts: { settings: string }) =>
    (await import('./plan-command.js')).planCommand(opts, events),
  check: async (opts: import('./check-command.js').CheckCommandOptions) =>
    (await import('./check-command.js')).checkCommand(opts),
  token: async (opts: import('./token-command.js').TokenCommandOptions) =>
    (await import('./token-command.js')).tokenCommand(opts),
  sandbox: async (opts: Parameters<typeof import('./sandbox-command.js').sandboxCommand>[0]) =>
    (await import('./sandbox-command.js')).sandboxCommand(opts),
  serve: async (opts: Record<string, unknown>) => (await import('./serve-command.js')).serveCommand(opts),
}

const program = new Command()
  .name('perkville-destination')
  .description('Turns Segment-spec events into Perkville loyalty-points transactions.')
  .version(VERSION)

lazyCommand(program, 'plan', run.plan)
  .description(
    'Dry run: decide each event of a JSONL file (or standard input) and print one JSON line per event.',
  )
  .requiredOption('--settings <file>', 'destination settings (JSON)')
  .argument('[events]', 'JSONL file of Segment events; standard input when omitted or "-"')

lazyCommand(program, 'check', run.check)
  .description(
    'Check settings against Perkville: the token, the business, the location and every mapped perk.',
  )
  .requiredOption('--settings <file>', 'destination settings (JSON)')
  .option('--perkville-url <url>', 'Perkville API base URL (default https://api.perkville.com/v2/)')
  .option('--timeout <ms>', 'per-request timeout in milliseconds (default 10000)')
  .option(
    '--write-probe',
    'live contract check: post a transaction with a fresh trans_source_id, post it again, look it up (a test business only)',
  )
  .option('--perk <id>', 'the perk of the test business the write probe awards')
  .option('--business-is-test', 'confirm the business is a test business (required by --write-probe)')
  .option('--email <address>', 'the probe customer (default perkville-destination-probe@example.com)')
  .option('--data-dir <dir>', "where the probe's result is kept for the console (default ./data)")

lazyCommand(program, 'token', run.token)
  .description(
    'Get a Perkville API token (resource-owner password grant) and write it to a file with mode 0600. The password is read from a prompt or standard input.',
  )
  .requiredOption('--client-id <id>', 'client id of your registered Perkville API client')
  .requiredOption('--client-secret-file <file>', 'file holding the client secret')
  .requiredOption('--username <user>', 'Perkville account (a staff member of the business)')
  .option('--out <file>', 'where to write the token (mode 0600)', 'perkville-token')
  .option('--perkville-url <url>', 'Perkville API base URL: its token endpoint is used (e.g. the sandbox)')
  .option('--token-url <url>', 'token endpoint (default https://www.perkville.com/api/token/)')
  .option('--scope <scopes>', 'scopes to ask for, space- or comma-separated (default: the client\u2019s)')
  .option('--timeout <ms>', 'request timeout in milliseconds (default 10000)')

lazyCommand(program, 'sandbox', run.sandbox)
  .description('Run a Perkville API sandbox (SQLite state, fault injection) until SIGINT/SIGTERM.')
  .option('--port <n>', 'port to listen on (0: any free port)', DEFAULT_SANDBOX_PORT)
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--data-dir <dir>', 'keep state in an SQLite file in this directory (survives restarts)')
  .option('--memory', 'keep state in memory (the default)')
  .option('--seed <file>', 'starting data (JSON, see docs/sandbox.md)')
  .option('--token <token>', 'an extra token with every scope')
  .option('--log', 'log each request')
  .option('--outage', 'answer every API request 503')
  .option('--error-rate <r>', 'share of API requests answered 5xx (0..1)')
  .option('--error-status <code>', '5xx status of --error-rate (default 500)')
  .option('--rate-limit-rate <r>', 'share of API requests answered 429 (0..1)')
  .option('--retry-after <s|date>', 'Retry-After of the 429 answers (seconds or HTTP date; default 1)')
  .option(
    '--retry-after-format <f>',
    'seconds (default) or date: send a numeric --retry-after as an HTTP date',
  )
  .option('--latency-ms <ms>', 'added latency per API request')
  .option('--latency-jitter-ms <ms>', 'added random latency, uniform from 0 to this')
  .option('--hang-rate <r>', 'share of API requests never answered (nothing recorded)')
  .option('--commit-then-fail-rate <r>', 'share of transaction POSTs recorded and then failed')
  .option('--commit-then-fail-mode <mode>', 'error (500), disconnect (connection cut) or hang')
  .option('--fault-scope <scope>', 'all (default) or writes (transaction POSTs only)')
  .option('--fault-seed <n>', 'seed of the fault randomness (repeatable runs)')
  .option(
    '--daily-limit-answer <form>',
    'how a second once-per-day award is refused (400): error_codes (the documented error shape) or field (keyed by the flag)',
  )
  .option(
    '--duplicate-answer <answer>',
    'how a reused trans_source_id is answered: 409 (default), 400 or existing (200 with the first)',
  )
  .option('--no-dedup', 'record a reused trans_source_id again: a resend awards twice')
  .option('--no-lookup-filter', 'refuse the trans_source_id filter of GET /v2/transactions/ (400)')

addServeOptions(
  lazyCommand(program, 'serve', run.serve).description(
    'Run the delivery service: Segment tracking API and webhook in, Perkville transactions out.',
  ),
)

registerImportCommand(program)

await program.parseAsync(process.argv)
