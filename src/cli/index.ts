#!/usr/bin/env node
import { Command } from 'commander'
import { VERSION } from '../version.js'
import { checkCommand } from './check-command.js'
import { planCommand } from './plan-command.js'
import { DEFAULT_SANDBOX_PORT, sandboxCommand } from './sandbox-command.js'
import { serveCommand } from './serve-command.js'

const program = new Command()
  .name('perkville-destination')
  .description('Turns Segment-spec events into Perkville loyalty-points transactions.')
  .version(VERSION)

program
  .command('plan')
  .description(
    'Dry run: decide each event of a JSONL file (or standard input) and print one JSON line per event.',
  )
  .requiredOption('--settings <file>', 'destination settings (JSON)')
  .argument('[events]', 'JSONL file of Segment events; standard input when omitted or "-"')
  .action(async (events: string | undefined, opts: { settings: string }) => {
    process.exitCode = await planCommand(opts, events)
  })

program
  .command('check')
  .description(
    'Check settings against Perkville: the token, the business, the location and every mapped perk.',
  )
  .requiredOption('--settings <file>', 'destination settings (JSON)')
  .option('--perkville-url <url>', 'Perkville API base URL (default https://api.perkville.com/v2/)')
  .option('--timeout <ms>', 'per-request timeout in milliseconds (default 10000)')
  .action(async (opts: { settings: string; perkvilleUrl?: string; timeout?: string }) => {
    process.exitCode = await checkCommand(opts)
  })

program
  .command('sandbox')
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
  .action(async (opts: Parameters<typeof sandboxCommand>[0]) => {
    process.exitCode = await sandboxCommand(opts)
  })

program
  .command('serve')
  .description('Run the delivery service: Segment tracking API and webhook in, Perkville transactions out.')
  .option('--config <file>', 'JSON config file (env PERKVILLE_CONFIG)')
  .option('--port <n>', 'port to listen on (env PERKVILLE_PORT or PORT; default 8080; 0 = any free port)')
  .option('--host <host>', 'address to listen on (env PERKVILLE_HOST; default 127.0.0.1)')
  .option(
    '--data-dir <dir>',
    'SQLite database, generated secrets and sandbox data (env PERKVILLE_DATA_DIR; default ./data)',
  )
  .option(
    '--write-key <key>',
    'a write key clients authenticate with; repeatable (env PERKVILLE_WRITE_KEYS, comma-separated)',
    (value: string, all: string[]) => [...all, value],
    [] as string[],
  )
  .option(
    '--admin-token <token>',
    'Bearer token of the admin API (env PERKVILLE_ADMIN_TOKEN; generated when absent)',
  )
  .option('--settings <file>', 'destination settings JSON (env PERKVILLE_SETTINGS)')
  .option(
    '--perkville-url <url>',
    'Perkville API base URL (env PERKVILLE_URL; default the real API when --settings is given)',
  )
  .option(
    '--perkville-timeout <duration>',
    'per-request timeout to Perkville (env PERKVILLE_TIMEOUT; default 10s)',
  )
  .option(
    '--webhook-secret <secret>',
    'shared secret of the Segment Webhooks destination (env PERKVILLE_WEBHOOK_SECRET)',
  )
  .option(
    '--webhook-signature <what>',
    'whole-body (default), or first-event to accept batches Segment Actions signs over their first event only (weaker; see docs/service.md) (env PERKVILLE_WEBHOOK_SIGNATURE)',
  )
  .option(
    '--sandbox',
    'use the embedded Perkville sandbox (default when neither --settings nor --perkville-url is given)',
  )
  .option(
    '--sandbox-port <n>',
    'port of the embedded sandbox (env PERKVILLE_SANDBOX_PORT; default any free port)',
  )
  .option(
    '--headers-timeout <duration>',
    'time a client has to send its request headers, then 408 and close (env PERKVILLE_HEADERS_TIMEOUT; default 10s)',
  )
  .option(
    '--request-timeout <duration>',
    'time a client has to send its whole request, then 408 and close (env PERKVILLE_REQUEST_TIMEOUT; default 30s)',
  )
  .option('--concurrency <n>', 'deliveries in flight at once (env PERKVILLE_CONCURRENCY; default 32)')
  .option(
    '--retry-for <duration>',
    'how long temporary failures are retried (env PERKVILLE_RETRY_FOR; default 4h)',
  )
  .option(
    '--dedup-window <duration>',
    'messageId deduplication window (env PERKVILLE_DEDUP_WINDOW; default 7d)',
  )
  .option(
    '--retention <duration>',
    'keep delivered and failed events this long (env PERKVILLE_RETENTION; default 30d)',
  )
  .option(
    '--credentials-probe <duration>',
    'how often rejected credentials are re-checked (env PERKVILLE_CREDENTIALS_PROBE; default 30s)',
  )
  .option(
    '--database-url <url>',
    'postgres://… : share one PostgreSQL database among several instances instead of SQLite (env PERKVILLE_DATABASE_URL)',
  )
  .option(
    '--database-schema <name>',
    'PostgreSQL schema of the tables (env PERKVILLE_DATABASE_SCHEMA; default public)',
  )
  .option(
    '--database-pool-size <n>',
    'PostgreSQL connections per instance (env PERKVILLE_DATABASE_POOL_SIZE; default 10)',
  )
  .option(
    '--lease <duration>',
    'how long a claimed delivery is held before another instance may take it over (env PERKVILLE_LEASE; default 2m)',
  )
  .option('--one-award-per-order', 'at most one award per order id and perk (default on)')
  .option('--no-one-award-per-order', 'turn the one-award-per-order rule off')
  .option('--cap-refunds', 'refunds never remove more than the order awarded (default on)')
  .option('--no-cap-refunds', 'turn the refund cap off')
  .option(
    '--storage-thread',
    'SQLite writes on their own worker thread (env PERKVILLE_STORAGE_THREAD; default off)',
  )
  .option('--no-storage-thread', 'SQLite on the main thread')
  .option(
    '--log-level <level>',
    'fatal, error, warn, info, debug, trace or silent (env PERKVILLE_LOG_LEVEL; default info)',
  )
  .option(
    '--ready-file <file>',
    'write {"url","port",...} as JSON to this file once listening (for scripts and tests)',
  )
  .action(async (opts: Record<string, unknown>) => {
    process.exitCode = await serveCommand(opts)
  })

await program.parseAsync(process.argv)
