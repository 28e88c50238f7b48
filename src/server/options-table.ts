import type { z } from 'zod'
import { DATABASE_POOLING } from '../pipeline/storage/postgres/pooler.js'
import {
  boolean,
  choice,
  databaseUrl,
  duration,
  emailList,
  httpUrl,
  inlineSettings,
  integer,
  LOG_LEVELS,
  logLevel,
  nullableText,
  proxyAddresses,
  schemaName,
  secret,
  smtpUrl,
  text,
  webhookUrlList,
  writeKeyList,
} from './option-types.js'
import { WEBHOOK_SIGNATURES } from './webhook-signature.js'

/**
 * The one table of the service's options. Everything else is derived from it: the `serve` command's
 * flags and help (src/cli/serve-options.ts), the environment and config-file names and the types of
 * `ServiceConfig` (config.ts), and the table in docs/service.md (`npm run docs:options`).
 */
export interface OptionSpec<S extends z.ZodType = z.ZodType> {
  /** The command-line flag with its argument, as commander reads it ('--port <n>'); a bare flag is a switch. */
  cli?: string
  /** A switch that also has a `--no-…` form. */
  negatable?: boolean
  /** Repeatable on the command line (each use adds to a list). */
  repeatable?: boolean
  /** Environment variables, the first set one wins. */
  env?: readonly string[]
  /** Path in the config file, e.g. ['orderRules', 'capRefunds']. */
  file: readonly string[]
  /** Reads and checks a value from any source, including the default. */
  type: S
  /** As an operator would write it; it goes through `type` like any given value. */
  default: unknown
  /** How the default reads in help and docs when the value alone does not say it. */
  defaultText?: string
  /** One sentence (or two) for the help and the docs. */
  description: string
}

export const CONFIG_FILE_OPTION = {
  cli: '--config <file>',
  env: 'PERKVILLE_CONFIG',
  description: 'JSON config file',
} as const

export const OPTIONS = {
  port: {
    cli: '--port <n>',
    env: ['PERKVILLE_PORT', 'PORT'],
    file: ['port'],
    type: integer(0, 65535),
    default: 8080,
    description: 'Port to listen on; `0` = any free port.',
  },
  host: {
    cli: '--host <host>',
    env: ['PERKVILLE_HOST'],
    file: ['host'],
    type: text('host name'),
    default: '127.0.0.1',
    description: 'Address to listen on (`0.0.0.0` in a container).',
  },
  dataDir: {
    cli: '--data-dir <dir>',
    env: ['PERKVILLE_DATA_DIR'],
    file: ['dataDir'],
    type: text('directory path'),
    default: './data',
    description: 'Database (`destination.db`), generated secrets, embedded sandbox data.',
  },
  writeKeys: {
    cli: '--write-key <key>',
    repeatable: true,
    env: ['PERKVILLE_WRITE_KEYS'],
    file: ['writeKeys'],
    type: writeKeyList,
    default: [],
    defaultText: 'generated',
    description:
      'Keys accepted by the tracking API (any of them; comma-separated in the environment, a list in the file). When none is configured one is generated into `<dataDir>/write-key`.',
  },
  adminToken: {
    cli: '--admin-token <token>',
    env: ['PERKVILLE_ADMIN_TOKEN'],
    file: ['adminToken'],
    type: secret(8),
    default: null,
    defaultText: 'generated',
    description:
      'Bearer token of the admin API (at least 8 characters). Generated into `<dataDir>/admin-token` when absent.',
  },
  settingsFile: {
    cli: '--settings <file>',
    env: ['PERKVILLE_SETTINGS'],
    file: ['settingsFile'],
    type: nullableText('file path'),
    default: null,
    defaultText: 'default map',
    description: 'Destination settings JSON (see docs/rules.md).',
  },
  settings: {
    file: ['settings'],
    type: inlineSettings,
    default: null,
    defaultText: 'none',
    description: 'The destination settings inline in the config file, instead of a settings file.',
  },
  perkvilleUrl: {
    cli: '--perkville-url <url>',
    env: ['PERKVILLE_URL'],
    file: ['perkvilleUrl'],
    type: httpUrl,
    default: null,
    defaultText: '`https://api.perkville.com/v2/` with settings',
    description: 'Perkville API base URL. Needs settings.',
  },
  perkvilleTimeoutMs: {
    cli: '--perkville-timeout <duration>',
    env: ['PERKVILLE_TIMEOUT'],
    file: ['perkvilleTimeout'],
    type: duration(100),
    default: '10s',
    description: 'Per-request timeout to Perkville.',
  },
  publicUrl: {
    cli: '--public-url <url>',
    env: ['PERKVILLE_PUBLIC_URL'],
    file: ['publicUrl'],
    type: httpUrl,
    default: null,
    defaultText: 'as each request says',
    description:
      'The URL browsers reach the service at, behind a proxy: analytics.js settings and scripts point there; the console accepts changes only from its origin, and an `https` URL makes its session cookie `Secure`.',
  },
  trustProxy: {
    cli: '--trust-proxy <addresses>',
    env: ['PERKVILLE_TRUST_PROXY'],
    file: ['trustProxy'],
    type: proxyAddresses,
    default: 'loopback',
    description:
      "Proxies (IP addresses, CIDR ranges, `loopback`, `linklocal`, `uniquelocal`; comma-separated, `none` for no proxy) whose `X-Forwarded-Proto`, `-Host` and `-For` give a request's scheme, host and client address. `--public-url`, when set, wins for the scheme and host.",
  },
  webhookSecret: {
    cli: '--webhook-secret <secret>',
    env: ['PERKVILLE_WEBHOOK_SECRET'],
    file: ['webhookSecret'],
    type: secret(1),
    default: null,
    defaultText: 'none',
    description: 'Shared secret of the Segment Webhooks destination.',
  },
  webhookSignature: {
    cli: '--webhook-signature <what>',
    env: ['PERKVILLE_WEBHOOK_SIGNATURE'],
    file: ['webhookSignature'],
    type: choice(WEBHOOK_SIGNATURES),
    default: 'whole-body',
    description:
      'What `X-Signature` must cover: `whole-body`, or `first-event` to also accept batches signed over their first event only (Segment Actions). Weaker: see Security.',
  },
  sandbox: {
    cli: '--sandbox',
    env: ['PERKVILLE_SANDBOX'],
    file: ['sandbox'],
    type: boolean,
    default: false,
    defaultText: 'auto',
    description:
      "Use the embedded sandbox. Automatic when neither settings nor `--perkville-url` is given; with `--settings` the sandbox accepts that file's `apiKey`.",
  },
  moveQueuedEvents: {
    cli: '--move-queued-events',
    env: ['PERKVILLE_MOVE_QUEUED_EVENTS'],
    file: ['moveQueuedEvents'],
    type: boolean,
    default: false,
    description:
      'Start even though the queue holds undelivered events for another destination (Perkville base URL or business): they go to this one, each decided again under the settings in force. Without it such a start is refused.',
  },
  sandboxPort: {
    cli: '--sandbox-port <n>',
    env: ['PERKVILLE_SANDBOX_PORT'],
    file: ['sandboxPort'],
    type: integer(0, 65535),
    default: 0,
    defaultText: '`0` (any)',
    description: 'Port of the embedded sandbox.',
  },
  headersTimeoutMs: {
    cli: '--headers-timeout <duration>',
    env: ['PERKVILLE_HEADERS_TIMEOUT'],
    file: ['headersTimeout'],
    type: duration(100),
    default: '10s',
    description: 'Time a client has to send its request headers; then **408** and the connection is closed.',
  },
  requestTimeoutMs: {
    cli: '--request-timeout <duration>',
    env: ['PERKVILLE_REQUEST_TIMEOUT'],
    file: ['requestTimeout'],
    type: duration(100),
    default: '30s',
    description:
      'Time a client has to send its whole request (headers and body); then **408** and close. Not shorter than `--headers-timeout`.',
  },
  concurrency: {
    cli: '--concurrency <n>',
    env: ['PERKVILLE_CONCURRENCY'],
    file: ['concurrency'],
    type: integer(1, 1024),
    default: 32,
    description: 'Deliveries in flight at once (1–1024).',
  },
  retryForMs: {
    cli: '--retry-for <duration>',
    env: ['PERKVILLE_RETRY_FOR'],
    file: ['retryFor'],
    type: duration(1000),
    default: '4h',
    description: 'How long temporary failures are retried before an event fails as expired.',
  },
  dedupWindowMs: {
    cli: '--dedup-window <duration>',
    env: ['PERKVILLE_DEDUP_WINDOW'],
    file: ['dedupWindow'],
    type: duration(0),
    default: '7d',
    description: 'A messageId seen within this window is acknowledged and not queued again.',
  },
  retentionMs: {
    cli: '--retention <duration>',
    env: ['PERKVILLE_RETENTION'],
    file: ['retention'],
    type: duration(60_000),
    default: '30d',
    description: 'Delivered and failed events are pruned after this (at least 1m).',
  },
  credentialsProbeMs: {
    cli: '--credentials-probe <duration>',
    env: ['PERKVILLE_CREDENTIALS_PROBE'],
    file: ['credentialsProbe'],
    type: duration(100),
    default: '30s',
    description: 'While Perkville rejects the credentials, how often they are re-checked.',
  },
  oneAwardPerOrder: {
    cli: '--one-award-per-order',
    negatable: true,
    env: ['PERKVILLE_ONE_AWARD_PER_ORDER'],
    file: ['orderRules', 'oneAwardPerOrder'],
    type: boolean,
    default: true,
    description: 'At most one award per (order id, perk).',
  },
  capRefunds: {
    cli: '--cap-refunds',
    negatable: true,
    env: ['PERKVILLE_CAP_REFUNDS'],
    file: ['orderRules', 'capRefunds'],
    type: boolean,
    default: true,
    description: 'Refunds of an order never remove more than it awarded.',
  },
  databaseUrl: {
    cli: '--database-url <url>',
    env: ['PERKVILLE_DATABASE_URL'],
    file: ['databaseUrl'],
    type: databaseUrl,
    default: null,
    defaultText: 'none (SQLite)',
    description:
      '`postgres://user:password@host:5432/db`: keep events in this PostgreSQL database, shared by every instance given the same URL and schema (below). The password is never logged or shown.',
  },
  databaseSchema: {
    cli: '--database-schema <name>',
    env: ['PERKVILLE_DATABASE_SCHEMA'],
    file: ['databaseSchema'],
    type: schemaName,
    default: 'public',
    description: 'PostgreSQL schema holding the tables (created when missing).',
  },
  databasePoolSize: {
    cli: '--database-pool-size <n>',
    env: ['PERKVILLE_DATABASE_POOL_SIZE'],
    file: ['databasePoolSize'],
    type: integer(1, 1000),
    default: 10,
    description: 'PostgreSQL connections per instance (1–1000).',
  },
  databasePooling: {
    cli: '--database-pooling <mode>',
    env: ['PERKVILLE_DATABASE_POOLING'],
    file: ['databasePooling'],
    type: choice(DATABASE_POOLING),
    default: 'session',
    description:
      '`transaction` when `--database-url` leads to a pooler lending a connection per transaction (PgBouncer `pool_mode = transaction`): no named prepared statements and no LISTEN through it. `session` (a direct connection or session pooling) finds transaction pooling by its errors and switches.',
  },
  databaseListenUrl: {
    cli: '--database-listen-url <url>',
    env: ['PERKVILLE_DATABASE_LISTEN_URL'],
    file: ['databaseListenUrl'],
    type: databaseUrl,
    default: null,
    defaultText: '`--database-url`; none with transaction pooling',
    description:
      "A URL straight to PostgreSQL (not through a transaction pooler) for the one connection that LISTENs for other instances' work. Without it, instances behind transaction pooling find each other's work by polling (within a second).",
  },
  leaseMs: {
    cli: '--lease <duration>',
    env: ['PERKVILLE_LEASE'],
    file: ['lease'],
    type: duration(1000),
    default: '2m',
    description:
      'How long a claimed delivery is held; after that another instance may take it over as an unknown outcome (at least 1s).',
  },
  alertWebhooks: {
    cli: '--alert-webhook <url>',
    repeatable: true,
    env: ['PERKVILLE_ALERT_WEBHOOKS'],
    file: ['alerts', 'webhooks'],
    type: webhookUrlList,
    default: [],
    defaultText: 'none',
    description:
      'Where alerts are POSTed as JSON (a Slack incoming webhook or any HTTP receiver); repeat for several, comma-separated in the environment. Shown redacted: the path is often the secret. See docs/alerts.md.',
  },
  alertEmails: {
    cli: '--alert-email <address>',
    repeatable: true,
    env: ['PERKVILLE_ALERT_EMAILS'],
    file: ['alerts', 'emails'],
    type: emailList,
    default: [],
    defaultText: 'none',
    description: 'Who gets alerts by email (needs `--smtp-url`); repeat for several.',
  },
  smtpUrl: {
    cli: '--smtp-url <url>',
    env: ['PERKVILLE_SMTP_URL'],
    file: ['alerts', 'smtpUrl'],
    type: smtpUrl,
    default: null,
    defaultText: 'none',
    description:
      '`smtp://user:password@host:587` (STARTTLS when offered) or `smtps://…:465`: the mail server alert emails go through. The password is never logged or shown.',
  },
  alertEmailFrom: {
    cli: '--alert-email-from <address>',
    env: ['PERKVILLE_ALERT_EMAIL_FROM'],
    file: ['alerts', 'emailFrom'],
    type: text('email address'),
    default: 'perkville-destination@localhost',
    description: 'The From address of alert emails.',
  },
  alertIntervalMs: {
    cli: '--alert-interval <duration>',
    env: ['PERKVILLE_ALERT_INTERVAL'],
    file: ['alerts', 'interval'],
    type: duration(100),
    default: '30s',
    description: 'How often the alert conditions are evaluated.',
  },
  alertRemindAfterMs: {
    cli: '--alert-remind-after <duration>',
    env: ['PERKVILLE_ALERT_REMIND_AFTER'],
    file: ['alerts', 'remindAfter'],
    type: duration(60_000),
    default: '4h',
    description:
      'An alert still firing is sent again after this long (one message when it starts, one when it clears).',
  },
  alertCredentialsAfterMs: {
    cli: '--alert-credentials-after <duration>',
    env: ['PERKVILLE_ALERT_CREDENTIALS_AFTER'],
    file: ['alerts', 'credentialsAfter'],
    type: duration(0),
    default: '0s',
    description:
      'Alert `credentials_rejected` once Perkville has rejected the API key (delivery paused) this long.',
  },
  alertParked: {
    cli: '--alert-parked <n>',
    env: ['PERKVILLE_ALERT_PARKED'],
    file: ['alerts', 'parked'],
    type: integer(0, 1_000_000_000),
    default: 1,
    description:
      'Alert `events_parked` when this many events are parked for one reason (unknown location, perk, business…); `0` = off.',
  },
  alertFirstTryBelow: {
    cli: '--alert-first-try-below <percent>',
    env: ['PERKVILLE_ALERT_FIRST_TRY_BELOW'],
    file: ['alerts', 'firstTryBelow'],
    type: integer(0, 100),
    default: 90,
    description:
      'Alert `delivery_failing` when first-try deliverability over `--alert-window` is below this percentage…',
  },
  alertMinAttempts: {
    cli: '--alert-min-attempts <n>',
    env: ['PERKVILLE_ALERT_MIN_ATTEMPTS'],
    file: ['alerts', 'minAttempts'],
    type: integer(0, 1_000_000_000),
    default: 20,
    description: '…with at least this many events sent in the window; `0` = this part off.',
  },
  alertStalledAfterMs: {
    cli: '--alert-stalled-after <duration>',
    env: ['PERKVILLE_ALERT_STALLED_AFTER'],
    file: ['alerts', 'stalledAfter'],
    type: duration(1_000),
    default: '10m',
    description:
      'Alert `delivery_failing` too when nothing was delivered for this long while events waited as long.',
  },
  alertOldestWaitingMs: {
    cli: '--alert-oldest-waiting <duration>',
    env: ['PERKVILLE_ALERT_OLDEST_WAITING'],
    file: ['alerts', 'oldestWaiting'],
    type: duration(1_000),
    default: '15m',
    description: 'Alert `queue_stale` when the oldest event waiting for delivery is older than this.',
  },
  alertStorageAfterMs: {
    cli: '--alert-storage-after <duration>',
    env: ['PERKVILLE_ALERT_STORAGE_AFTER'],
    file: ['alerts', 'storageAfter'],
    type: duration(0),
    default: '30s',
    description: 'Alert `storage_unavailable` when storage has been unavailable or not ready this long.',
  },
  alertSettingsCheck: {
    cli: '--alert-settings-check',
    negatable: true,
    env: ['PERKVILLE_ALERT_SETTINGS_CHECK'],
    file: ['alerts', 'settingsCheck'],
    type: boolean,
    default: true,
    description: 'Alert `settings_check_failed` when the settings check fails (at start or after a change).',
  },
  alertRefusalSurge: {
    cli: '--alert-refusal-surge <n>',
    env: ['PERKVILLE_ALERT_REFUSAL_SURGE'],
    file: ['alerts', 'refusalSurge'],
    type: integer(0, 1_000_000_000),
    default: 50,
    description:
      'Alert `refusal_surge` when this many events are rejected with one code within `--alert-window` (e.g. `EVENT_NOT_ALLOWLISTED`: a new event name the map lacks); `0` = off.',
  },
  alertWindowMs: {
    cli: '--alert-window <duration>',
    env: ['PERKVILLE_ALERT_WINDOW'],
    file: ['alerts', 'window'],
    type: duration(60_000),
    default: '15m',
    description: 'The window of the deliverability and refusal-surge conditions.',
  },
  logLevel: {
    cli: '--log-level <level>',
    env: ['PERKVILLE_LOG_LEVEL'],
    file: ['logLevel'],
    type: logLevel,
    default: 'info',
    description: `One of ${LOG_LEVELS.map((level) => `\`${level}\``).join(', ')} (\`debug\` logs one line per answered request).`,
  },
  readyFile: {
    cli: '--ready-file <file>',
    env: ['PERKVILLE_READY_FILE'],
    file: ['readyFile'],
    type: nullableText('file path'),
    default: null,
    defaultText: 'none',
    description:
      'Once listening, write `{"url","port","pid","sandboxUrl","dataDir"}` there (atomically); removed at shutdown. For scripts and tests using `--port 0`.',
  },
} as const satisfies Record<string, OptionSpec>

export type OptionName = keyof typeof OPTIONS

/** The values of all options once read: the type of each is its `type`'s output. */
export type OptionValues = { -readonly [K in OptionName]: z.output<(typeof OPTIONS)[K]['type']> }

/** The key commander gives a flag: `--dedup-window <duration>` → `dedupWindow`. */
export function cliKey(flag: string): string {
  const name = flag.split(/\s+/)[0]!.replace(/^--/, '')
  return name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase())
}

/** The flag without its argument: `--port <n>` → `--port`. */
export function flagName(flag: string): string {
  return flag.split(/\s+/)[0]!
}

/** How the default reads in help and docs. */
export function defaultText(spec: OptionSpec): string {
  if (spec.defaultText !== undefined) return spec.defaultText
  if (typeof spec.default === 'boolean') return spec.default ? 'on' : 'off'
  return `\`${String(spec.default)}\``
}
