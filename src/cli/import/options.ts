import { existsSync, readFileSync } from 'node:fs'
import { parseDuration } from '../../server/duration.js'
import { BATCH_LIMIT_EVENTS, DEFAULT_BATCH_SIZE } from './batches.js'
import { MAPPING_KEYS } from './mapping.js'
import { DEFAULT_SOURCE } from './message-id.js'

/** Where the service writes its generated write key and admin token by default (`serve`'s ./data). */
const DEFAULT_DATA_DIR = 'data'
export const DEFAULT_SERVICE_URL = 'http://127.0.0.1:8080'

/** The raw option values as commander gives them (every one defined once, in IMPORT_OPTIONS). */
export interface RawImportOptions {
  url?: string
  writeKey?: string
  writeKeyFile?: string
  adminToken?: string
  adminTokenFile?: string
  settings?: string
  dryRun?: boolean
  format?: string
  mapping?: string
  map: string[]
  source: string
  rate: string
  concurrency: string
  batchSize: string
  retryFor: string
  timeout: string
  checkpoint?: string | false
  report: string
  json?: boolean
  progressInterval: string
}

type Collect = (value: string, all: string[]) => string[]
export interface OptionSpec {
  flags: string
  description: string
  default?: string | string[]
  collect?: Collect
}

/** Every option of `import`, with its default; the command, its help and README derive from this. */
export const IMPORT_OPTIONS: OptionSpec[] = [
  {
    flags: '--url <url>',
    description: `the delivery service (env PERKVILLE_SERVICE_URL; default ${DEFAULT_SERVICE_URL})`,
  },
  { flags: '--write-key <key>', description: 'a write key of the service (env PERKVILLE_WRITE_KEY)' },
  {
    flags: '--write-key-file <file>',
    description: `file holding the write key (default ./${DEFAULT_DATA_DIR}/write-key when present, as serve generates it)`,
  },
  { flags: '--dry-run', description: 'decide every event locally and print the summary; send nothing' },
  { flags: '--settings <file>', description: 'destination settings (JSON) for --dry-run' },
  {
    flags: '--admin-token <token>',
    description:
      'admin token, to read the settings from the service for --dry-run (env PERKVILLE_ADMIN_TOKEN)',
  },
  {
    flags: '--admin-token-file <file>',
    description: `file holding the admin token (default ./${DEFAULT_DATA_DIR}/admin-token when present)`,
  },
  {
    flags: '--format <format>',
    description: 'jsonl or csv (default: csv for *.csv files or with --mapping, else jsonl)',
  },
  {
    flags: '--mapping <file>',
    description: 'CSV mapping (JSON): which columns make the event (docs/import.md)',
  },
  {
    flags: '--map <key=value>',
    description: `set one mapping key (repeatable; over --mapping): ${MAPPING_KEYS.join(', ')}`,
    default: [],
    collect: (value, all) => [...all, value],
  },
  {
    flags: '--source <name>',
    description: 'name of this history, part of every derived messageId',
    default: DEFAULT_SOURCE,
  },
  { flags: '--rate <events/s>', description: 'events per second at most; 0 = no limit', default: '1000' },
  { flags: '--concurrency <n>', description: 'requests in flight at once (1-64)', default: '4' },
  {
    flags: '--batch-size <n>',
    description: `events per request at most (1-${BATCH_LIMIT_EVENTS}; requests also stay under 500 KB)`,
    default: String(DEFAULT_BATCH_SIZE),
  },
  {
    flags: '--retry-for <duration>',
    description: 'how long one batch is retried before the run stops',
    default: '10m',
  },
  { flags: '--timeout <duration>', description: 'per-request timeout', default: '60s' },
  {
    flags: '--checkpoint <file>',
    description: 'where progress is kept for resuming (default .perkville-import/<id>.json)',
  },
  {
    flags: '--no-checkpoint',
    description: 'keep no checkpoint (a re-run sends everything; duplicates are still recognised)',
  },
  {
    flags: '--report <file>',
    description: 'refused events with line numbers and reasons (JSONL; written when any)',
    default: 'perkville-import-report.jsonl',
  },
  { flags: '--json', description: 'print the final summary as JSON on stdout' },
  {
    flags: '--progress-interval <duration>',
    description: 'progress line period when stderr is not a terminal',
    default: '5s',
  },
]

export interface ImportOptions {
  url: string
  writeKey: string | null
  adminToken: string | null
  settingsFile: string | null
  dryRun: boolean
  format: 'jsonl' | 'csv' | null
  mappingFile: string | undefined
  mapPairs: string[]
  source: string
  rate: number
  concurrency: number
  batchSize: number
  retryForMs: number
  timeoutMs: number
  /** null: no checkpoint. undefined: the default path. */
  checkpoint: string | null | undefined
  report: string
  json: boolean
  progressIntervalMs: number
}

export class OptionsError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'))
    this.name = 'OptionsError'
  }
}

/** Validates every option at once; throws an OptionsError listing each problem. */
export function resolveImportOptions(raw: RawImportOptions, env = process.env): ImportOptions {
  const problems: string[] = []
  const int = (name: string, value: string, min: number, max: number): number => {
    const n = Number(value)
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`)
      return min
    }
    return n
  }
  const duration = (name: string, value: string, min: number): number => {
    const ms = parseDuration(value)
    if (ms === null || ms < min) {
      problems.push(
        `--${name} must be a duration such as "500ms", "30s", "10m", got ${JSON.stringify(value)}`,
      )
      return min
    }
    return ms
  }
  const url = raw.url ?? (env.PERKVILLE_SERVICE_URL || DEFAULT_SERVICE_URL)
  try {
    const parsed = new URL(url)
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http')
  } catch {
    problems.push(`--url must be an http(s) URL such as ${DEFAULT_SERVICE_URL}, got ${JSON.stringify(url)}`)
  }
  let format: ImportOptions['format'] = null
  if (raw.format !== undefined) {
    if (raw.format === 'jsonl' || raw.format === 'csv') format = raw.format
    else problems.push(`--format must be jsonl or csv, got ${JSON.stringify(raw.format)}`)
  }
  const secret = (
    flag: string,
    given: string | undefined,
    envName: string,
    file: string | undefined,
    fallback: string,
  ): string | null => {
    if (given !== undefined) return given.trim()
    if (env[envName]) return env[envName]!.trim()
    const path = file ?? (existsSync(fallback) ? fallback : undefined)
    if (path === undefined) return null
    try {
      return readFileSync(path, 'utf8').trim()
    } catch (err) {
      // The file's content is a secret: only the path and the error code are shown.
      problems.push(`${flag}: cannot read ${path} (${(err as NodeJS.ErrnoException).code})`)
      return null
    }
  }
  const options: ImportOptions = {
    url: url.replace(/\/+$/, ''),
    writeKey: secret(
      '--write-key-file',
      raw.writeKey,
      'PERKVILLE_WRITE_KEY',
      raw.writeKeyFile,
      `${DEFAULT_DATA_DIR}/write-key`,
    ),
    adminToken: null,
    settingsFile: raw.settings ?? null,
    dryRun: raw.dryRun === true,
    format,
    mappingFile: raw.mapping,
    mapPairs: raw.map,
    source: raw.source.trim(),
    rate: int('rate', raw.rate, 0, 1_000_000),
    concurrency: int('concurrency', raw.concurrency, 1, 64),
    batchSize: int('batch-size', raw.batchSize, 1, BATCH_LIMIT_EVENTS),
    retryForMs: duration('retry-for', raw.retryFor, 0),
    timeoutMs: duration('timeout', raw.timeout, 1),
    checkpoint: raw.checkpoint === false ? null : raw.checkpoint,
    report: raw.report,
    json: raw.json === true,
    progressIntervalMs: duration('progress-interval', raw.progressInterval, 100),
  }
  if (options.source === '') problems.push('--source must not be empty')
  if (options.dryRun && options.settingsFile === null)
    options.adminToken = secret(
      '--admin-token-file',
      raw.adminToken,
      'PERKVILLE_ADMIN_TOKEN',
      raw.adminTokenFile,
      `${DEFAULT_DATA_DIR}/admin-token`,
    )
  if (!options.dryRun && !options.writeKey)
    problems.push(
      `a write key is needed: --write-key, PERKVILLE_WRITE_KEY or --write-key-file (./${DEFAULT_DATA_DIR}/write-key is used when present)`,
    )
  if (problems.length > 0) throw new OptionsError(problems)
  return options
}
