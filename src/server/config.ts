import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { parseJson } from '../core/json-syntax.js'
import { isDatabaseUrl } from '../pipeline/storage/postgres-url.js'
import { parseDuration } from './duration.js'
import { WEBHOOK_SIGNATURES, type WebhookSignature } from './webhook-signature.js'

/**
 * The service configuration. Every option may come from the command line, an environment variable,
 * or the JSON config file, in that order of precedence, else its default. Each value is validated on
 * its own so a message can say which option, from which source, is wrong — and secret options never
 * have their value repeated.
 */

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

type Field = z.ZodType<unknown>

const integer = (min: number, max: number): Field =>
  z.unknown().transform((value, ctx) => {
    const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      ctx.addIssue({
        code: 'custom',
        message: `must be an integer from ${min} to ${max}, got ${show(value)}`,
      })
      return z.NEVER
    }
    return n
  })

const text = (what: string): Field =>
  z.unknown().transform((value, ctx) => {
    if (typeof value !== 'string' || value.trim() === '') {
      ctx.addIssue({ code: 'custom', message: `must be a non-empty ${what}, got ${show(value)}` })
      return z.NEVER
    }
    return value.trim()
  })

const nullableText = (what: string): Field =>
  z.unknown().transform((value, ctx) => {
    if (value === null) return null
    const parsed = text(what).safeParse(value)
    if (parsed.success) return parsed.data
    ctx.addIssue({ code: 'custom', message: parsed.error.issues[0]?.message ?? 'invalid' })
    return z.NEVER
  })

/** A secret is checked for shape only; the message says what kind of value it got, never the value. */
const secret = (minLength: number): Field =>
  z.unknown().transform((value, ctx) => {
    if (value === null) return null
    if (typeof value !== 'string') {
      ctx.addIssue({ code: 'custom', message: `must be a string, got ${kind(value)}` })
      return z.NEVER
    }
    if (value.length < minLength || /\s/.test(value)) {
      ctx.addIssue({
        code: 'custom',
        message: `must be at least ${minLength} characters without spaces (the given value has ${value.length})`,
      })
      return z.NEVER
    }
    return value
  })

const writeKeyList: Field = z.unknown().transform((value, ctx) => {
  const list = typeof value === 'string' ? value.split(',') : value
  if (!Array.isArray(list)) {
    ctx.addIssue({ code: 'custom', message: `must be a list of write keys, got ${kind(value)}` })
    return z.NEVER
  }
  const keys: string[] = []
  list.forEach((entry, index) => {
    if (typeof entry !== 'string') {
      ctx.addIssue({ code: 'custom', message: `entry ${index + 1} must be a string, got ${kind(entry)}` })
      return
    }
    const key = entry.trim()
    if (key === '') return
    // HTTP Basic puts the key before a colon, so a key containing one could never authenticate.
    if (key.includes(':') || /\s/.test(key)) {
      ctx.addIssue({ code: 'custom', message: `entry ${index + 1} must not contain ':' or spaces` })
      return
    }
    keys.push(key)
  })
  return [...new Set(keys)]
})

const boolean: Field = z.unknown().transform((value, ctx) => {
  if (typeof value === 'boolean') return value
  if (typeof value === 'string') {
    const word = value.trim().toLowerCase()
    if (['true', '1', 'yes', 'on'].includes(word)) return true
    if (['false', '0', 'no', 'off'].includes(word)) return false
  }
  ctx.addIssue({ code: 'custom', message: `must be true or false, got ${show(value)}` })
  return z.NEVER
})

const duration = (min: number): Field =>
  z.unknown().transform((value, ctx) => {
    const ms = parseDuration(value)
    if (ms === null || ms < min) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a duration such as "30m", "4h", "7d" or milliseconds, at least ${min} ms; got ${show(value)}`,
      })
      return z.NEVER
    }
    return ms
  })

const httpUrl: Field = z.unknown().transform((value, ctx) => {
  if (value === null) return null
  if (typeof value === 'string') {
    try {
      const url = new URL(value)
      if (url.protocol === 'http:' || url.protocol === 'https:') return url.toString()
    } catch {}
  }
  ctx.addIssue({ code: 'custom', message: `must be an http(s) URL, got ${show(value)}` })
  return z.NEVER
})

/** Holds a password: a bad value is described, never repeated. */
const databaseUrl: Field = z.unknown().transform((value, ctx) => {
  if (value === null) return null
  if (typeof value === 'string' && isDatabaseUrl(value.trim())) return value.trim()
  ctx.addIssue({
    code: 'custom',
    message: `must be a postgres:// (or postgresql://) URL, got ${typeof value === 'string' ? 'another text' : kind(value)}`,
  })
  return z.NEVER
})

const schemaName: Field = z.unknown().transform((value, ctx) => {
  if (typeof value === 'string' && /^[a-z_][a-z0-9_]{0,62}$/.test(value)) return value
  ctx.addIssue({
    code: 'custom',
    message: `must be a lower-case SQL identifier (letters, digits, underscore), got ${show(value)}`,
  })
  return z.NEVER
})

const logLevel: Field = z.unknown().transform((value, ctx) => {
  if (typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value.toLowerCase())) {
    return value.toLowerCase()
  }
  ctx.addIssue({ code: 'custom', message: `must be one of ${LOG_LEVELS.join(', ')}; got ${show(value)}` })
  return z.NEVER
})

const choice = (values: readonly string[]): Field =>
  z.unknown().transform((value, ctx) => {
    if (typeof value === 'string' && values.includes(value.trim().toLowerCase()))
      return value.trim().toLowerCase()
    ctx.addIssue({ code: 'custom', message: `must be one of ${values.join(', ')}; got ${show(value)}` })
    return z.NEVER
  })

const inlineSettings: Field = z.unknown().transform((value, ctx) => {
  if (value === null) return null
  if (typeof value !== 'object' || Array.isArray(value)) {
    ctx.addIssue({ code: 'custom', message: `must be a settings object, got ${kind(value)}` })
    return z.NEVER
  }
  return value
})

interface FieldSpec {
  /** The command-line flag, and the key commander gives it. */
  cli?: { flag: string; key: string }
  env?: string[]
  /** Path in the config file, e.g. ['orderRules', 'capRefunds']. */
  file?: string[]
  schema: Field
  default: unknown
}

/** The one table of options: names in every source, validation, defaults. docs/service.md mirrors it. */
export const FIELDS = {
  port: {
    cli: { flag: '--port', key: 'port' },
    env: ['PERKVILLE_PORT', 'PORT'],
    file: ['port'],
    schema: integer(0, 65535),
    default: 8080,
  },
  host: {
    cli: { flag: '--host', key: 'host' },
    env: ['PERKVILLE_HOST'],
    file: ['host'],
    schema: text('host name'),
    default: '127.0.0.1',
  },
  dataDir: {
    cli: { flag: '--data-dir', key: 'dataDir' },
    env: ['PERKVILLE_DATA_DIR'],
    file: ['dataDir'],
    schema: text('directory path'),
    default: './data',
  },
  writeKeys: {
    cli: { flag: '--write-key', key: 'writeKey' },
    env: ['PERKVILLE_WRITE_KEYS'],
    file: ['writeKeys'],
    schema: writeKeyList,
    default: [],
  },
  adminToken: {
    cli: { flag: '--admin-token', key: 'adminToken' },
    env: ['PERKVILLE_ADMIN_TOKEN'],
    file: ['adminToken'],
    schema: secret(8),
    default: null,
  },
  settingsFile: {
    cli: { flag: '--settings', key: 'settings' },
    env: ['PERKVILLE_SETTINGS'],
    file: ['settingsFile'],
    schema: nullableText('file path'),
    default: null,
  },
  settings: { file: ['settings'], schema: inlineSettings, default: null },
  perkvilleUrl: {
    cli: { flag: '--perkville-url', key: 'perkvilleUrl' },
    env: ['PERKVILLE_URL'],
    file: ['perkvilleUrl'],
    schema: httpUrl,
    default: null,
  },
  perkvilleTimeoutMs: {
    cli: { flag: '--perkville-timeout', key: 'perkvilleTimeout' },
    env: ['PERKVILLE_TIMEOUT'],
    file: ['perkvilleTimeout'],
    schema: duration(100),
    default: 10_000,
  },
  webhookSecret: {
    cli: { flag: '--webhook-secret', key: 'webhookSecret' },
    env: ['PERKVILLE_WEBHOOK_SECRET'],
    file: ['webhookSecret'],
    schema: secret(1),
    default: null,
  },
  webhookSignature: {
    cli: { flag: '--webhook-signature', key: 'webhookSignature' },
    env: ['PERKVILLE_WEBHOOK_SIGNATURE'],
    file: ['webhookSignature'],
    schema: choice(WEBHOOK_SIGNATURES),
    default: 'whole-body',
  },
  sandbox: {
    cli: { flag: '--sandbox', key: 'sandbox' },
    env: ['PERKVILLE_SANDBOX'],
    file: ['sandbox'],
    schema: boolean,
    default: false,
  },
  sandboxPort: {
    cli: { flag: '--sandbox-port', key: 'sandboxPort' },
    env: ['PERKVILLE_SANDBOX_PORT'],
    file: ['sandboxPort'],
    schema: integer(0, 65535),
    default: 0,
  },
  headersTimeoutMs: {
    cli: { flag: '--headers-timeout', key: 'headersTimeout' },
    env: ['PERKVILLE_HEADERS_TIMEOUT'],
    file: ['headersTimeout'],
    schema: duration(100),
    default: 10_000,
  },
  requestTimeoutMs: {
    cli: { flag: '--request-timeout', key: 'requestTimeout' },
    env: ['PERKVILLE_REQUEST_TIMEOUT'],
    file: ['requestTimeout'],
    schema: duration(100),
    default: 30_000,
  },
  concurrency: {
    cli: { flag: '--concurrency', key: 'concurrency' },
    env: ['PERKVILLE_CONCURRENCY'],
    file: ['concurrency'],
    schema: integer(1, 1024),
    default: 32,
  },
  retryForMs: {
    cli: { flag: '--retry-for', key: 'retryFor' },
    env: ['PERKVILLE_RETRY_FOR'],
    file: ['retryFor'],
    schema: duration(1000),
    default: 4 * 3_600_000,
  },
  dedupWindowMs: {
    cli: { flag: '--dedup-window', key: 'dedupWindow' },
    env: ['PERKVILLE_DEDUP_WINDOW'],
    file: ['dedupWindow'],
    schema: duration(0),
    default: 7 * 86_400_000,
  },
  retentionMs: {
    cli: { flag: '--retention', key: 'retention' },
    env: ['PERKVILLE_RETENTION'],
    file: ['retention'],
    schema: duration(60_000),
    default: 30 * 86_400_000,
  },
  credentialsProbeMs: {
    cli: { flag: '--credentials-probe', key: 'credentialsProbe' },
    env: ['PERKVILLE_CREDENTIALS_PROBE'],
    file: ['credentialsProbe'],
    schema: duration(100),
    default: 30_000,
  },
  oneAwardPerOrder: {
    cli: { flag: '--one-award-per-order', key: 'oneAwardPerOrder' },
    env: ['PERKVILLE_ONE_AWARD_PER_ORDER'],
    file: ['orderRules', 'oneAwardPerOrder'],
    schema: boolean,
    default: true,
  },
  capRefunds: {
    cli: { flag: '--cap-refunds', key: 'capRefunds' },
    env: ['PERKVILLE_CAP_REFUNDS'],
    file: ['orderRules', 'capRefunds'],
    schema: boolean,
    default: true,
  },
  storageThread: {
    cli: { flag: '--storage-thread', key: 'storageThread' },
    env: ['PERKVILLE_STORAGE_THREAD'],
    file: ['storageThread'],
    schema: boolean,
    default: false,
  },
  databaseUrl: {
    cli: { flag: '--database-url', key: 'databaseUrl' },
    env: ['PERKVILLE_DATABASE_URL'],
    file: ['databaseUrl'],
    schema: databaseUrl,
    default: null,
  },
  databaseSchema: {
    cli: { flag: '--database-schema', key: 'databaseSchema' },
    env: ['PERKVILLE_DATABASE_SCHEMA'],
    file: ['databaseSchema'],
    schema: schemaName,
    default: 'public',
  },
  databasePoolSize: {
    cli: { flag: '--database-pool-size', key: 'databasePoolSize' },
    env: ['PERKVILLE_DATABASE_POOL_SIZE'],
    file: ['databasePoolSize'],
    schema: integer(1, 1000),
    default: 10,
  },
  leaseMs: {
    cli: { flag: '--lease', key: 'lease' },
    env: ['PERKVILLE_LEASE'],
    file: ['lease'],
    schema: duration(1000),
    default: 120_000,
  },
  logLevel: {
    cli: { flag: '--log-level', key: 'logLevel' },
    env: ['PERKVILLE_LOG_LEVEL'],
    file: ['logLevel'],
    schema: logLevel,
    default: 'info',
  },
  readyFile: {
    cli: { flag: '--ready-file', key: 'readyFile' },
    env: ['PERKVILLE_READY_FILE'],
    file: ['readyFile'],
    schema: nullableText('file path'),
    default: null,
  },
} satisfies Record<string, FieldSpec>

type FieldName = keyof typeof FIELDS

export interface ServiceConfig {
  port: number
  host: string
  dataDir: string
  writeKeys: string[]
  adminToken: string | null
  settingsFile: string | null
  settings: Record<string, unknown> | null
  perkvilleUrl: string | null
  perkvilleTimeoutMs: number
  webhookSecret: string | null
  webhookSignature: WebhookSignature
  sandbox: boolean
  sandboxPort: number
  /** Slow clients: time to send the headers, and the whole request; then 408 and close. */
  headersTimeoutMs: number
  requestTimeoutMs: number
  concurrency: number
  retryForMs: number
  dedupWindowMs: number
  retentionMs: number
  credentialsProbeMs: number
  oneAwardPerOrder: boolean
  capRefunds: boolean
  /** SQLite on its own worker thread. */
  storageThread: boolean
  /** postgres://… when several instances share one PostgreSQL database; null: SQLite in dataDir. */
  databaseUrl: string | null
  databaseSchema: string
  databasePoolSize: number
  /** How long a delivery's claim is held before another instance may take it over. */
  leaseMs: number
  logLevel: LogLevel
  readyFile: string | null
  /** The config file read, if any. */
  configFile: string | null
  /** Where each option's value came from, e.g. { port: '--port' } — for the banner and messages. */
  sources: Record<FieldName, string>
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`)
    this.name = 'ConfigError'
  }
}

export interface ConfigSources {
  /** Options as commander parsed them (keys as in FIELDS[*].cli.key, plus `config`). */
  cli: Record<string, unknown>
  env: NodeJS.ProcessEnv
}

/** Resolves the configuration from all sources; throws ConfigError listing every problem found. */
export function loadConfig({ cli, env }: ConfigSources): ServiceConfig {
  const problems: string[] = []
  const configFile = pick(cli.config, env.PERKVILLE_CONFIG)
  let file: Record<string, unknown> = {}
  if (configFile !== undefined) {
    const where = cli.config !== undefined ? '--config' : 'PERKVILLE_CONFIG'
    try {
      file = readConfigFile(String(configFile))
    } catch (err) {
      problems.push(`${where}: ${(err as Error).message}`)
    }
  }

  const values: Record<string, unknown> = {}
  const sources: Record<string, string> = {}
  for (const [name, spec] of Object.entries(FIELDS) as Array<[FieldName, FieldSpec]>) {
    const found = findValue(spec, cli, env, file, configFile === undefined ? '' : String(configFile))
    sources[name] = found.source
    if (found.source === 'default') {
      values[name] = spec.default
      continue
    }
    const parsed = spec.schema.safeParse(found.value)
    if (parsed.success) values[name] = parsed.data
    else problems.push(`${found.source}: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`)
  }

  if (problems.length === 0 && values.settingsFile !== null && values.settings !== null) {
    problems.push(`${sources.settingsFile} and ${sources.settings} both give settings; use one`)
  }
  if (problems.length === 0 && (values.headersTimeoutMs as number) > (values.requestTimeoutMs as number)) {
    problems.push(`${sources.headersTimeoutMs} must not be longer than ${sources.requestTimeoutMs}`)
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return {
    ...(values as Omit<ServiceConfig, 'configFile' | 'sources'>),
    configFile: configFile === undefined ? null : String(configFile),
    sources: sources as Record<FieldName, string>,
  }
}

function findValue(
  spec: FieldSpec,
  cli: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  file: Record<string, unknown>,
  fileName: string,
): { value: unknown; source: string } {
  if (spec.cli) {
    const value = cli[spec.cli.key]
    const given = Array.isArray(value) ? value.length > 0 : value !== undefined
    if (given) return { value, source: `${spec.cli.flag} (command line)` }
  }
  for (const name of spec.env ?? []) {
    const value = env[name]
    if (value !== undefined && value !== '') return { value, source: `${name} (environment)` }
  }
  if (spec.file) {
    let node: unknown = file
    for (const key of spec.file) {
      node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined
    }
    if (node !== undefined) return { value: node, source: `${spec.file.join('.')} (config file ${fileName})` }
  }
  return { value: undefined, source: 'default' }
}

function readConfigFile(path: string): Record<string, unknown> {
  let textContent: string
  try {
    textContent = readFileSync(path, 'utf8')
  } catch (err) {
    throw new Error(`cannot read config file ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  const result = parseJson(textContent)
  // Where, never what: the file may hold secrets.
  if (!result.ok) throw new Error(`config file ${path} is not valid JSON at ${result.message}`)
  const parsed = result.value
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`config file ${path} must hold a JSON object, got ${kind(parsed)}`)
  }
  const known = new Set(Object.values(FIELDS as Record<string, FieldSpec>).map((spec) => spec.file?.[0]))
  const unknown = Object.keys(parsed).filter((key) => !known.has(key))
  if (unknown.length > 0) {
    throw new Error(`config file ${path} has unknown option(s): ${unknown.join(', ')}`)
  }
  return parsed as Record<string, unknown>
}

function pick(...values: unknown[]): unknown {
  return values.find((value) => value !== undefined && value !== '')
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value)
  return kind(value)
}

function kind(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}
