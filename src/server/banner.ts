import { relative } from 'node:path'
import type { Settings } from '../core/settings.js'

/** An event the settings award, for the banner's curl: what to send and what it earns. */
export interface BannerExample {
  /** The Tracking API path it is sent to. */
  path: 'track' | 'identify'
  event: Record<string, unknown>
  /** For the heading: `Checked In -> perk 3001`. */
  awards: string
}

type MappedSettings = Pick<Settings, 'eventToPerkMap'> & { audienceToPerkMap?: Record<string, string> }

/**
 * The banner's example comes from the settings in force, so the curl it prints is one that awards
 * points: the first mapped event that is not about orders, else one that is not a refund (sent
 * without an order id, so either earns quantity 1), else the first mapped audience (an identify entering it), else
 * null — the settings award nothing and the banner says so.
 */
export function bannerExample(settings: MappedSettings): BannerExample | null {
  const events = Object.keys(settings.eventToPerkMap)
  // A visit-like event reads best in a first try; an order event without an order id still awards 1.
  const name =
    events.find((e) => !/refund|order/i.test(e)) ?? events.find((e) => !/refund/i.test(e)) ?? events[0]
  if (name !== undefined) {
    return {
      path: 'track',
      event: { type: 'track', event: name, userId: 'user-1', properties: { email: 'jane@example.com' } },
      awards: `${name} -> perk ${settings.eventToPerkMap[name]}`,
    }
  }
  const audience = Object.keys(settings.audienceToPerkMap ?? {})[0]
  if (audience !== undefined) {
    return {
      path: 'identify',
      event: { type: 'identify', userId: 'user-1', traits: { email: 'jane@example.com', [audience]: true } },
      awards: `audience ${audience} -> perk ${settings.audienceToPerkMap?.[audience]}`,
    }
  }
  return null
}

export interface BannerInfo {
  url: string
  /** Files holding generated secrets; null when the secret came from the configuration. */
  writeKeyFile: string | null
  adminTokenFile: string | null
  sandboxOrigin: string | null
  sandboxUrl: string | null
  perkvilleUrl: string
  dataDir: string
  /** `--public-url`: where browsers reach the service; null: as each request (or a trusted proxy) says. */
  publicUrl?: string | null
  /** `--trust-proxy`. */
  trustProxy?: readonly string[]
  /** The shared PostgreSQL database (password redacted), when one is used instead of SQLite. */
  database?: string
  webhookSigned: boolean
  /** What the curl sends; null when the settings map nothing. */
  example: BannerExample | null
}

function publicUrlLine(info: BannerInfo): string {
  if (info.publicUrl) return `${info.publicUrl}   (--public-url: analytics.js and the console's origin)`
  const trusted = info.trustProxy ?? []
  const proxies = trusted.length > 0 ? `X-Forwarded-* from ${trusted.join(', ')}` : 'no proxy'
  return `as each request says (${proxies}; behind another proxy: --trust-proxy or --public-url)`
}

/**
 * The human-readable start-up text. Secrets are never printed: the commands read them from their
 * files with `$(cat FILE)` (or from a variable the operator sets when they configured their own).
 */
export function startupBanner(info: BannerInfo, cwd: string = process.cwd()): string {
  const writeKey = info.writeKeyFile ? `$(cat ${shellPath(info.writeKeyFile, cwd)})` : '$WRITE_KEY'
  const adminToken = info.adminTokenFile ? `$(cat ${shellPath(info.adminTokenFile, cwd)})` : '$ADMIN_TOKEN'
  const lines = [
    '',
    'Perkville destination is running',
    `  Service      ${info.url}`,
    `  Console      ${info.url}/   (open it in a browser; sign in with the admin token${info.adminTokenFile ? ` from ${shellPath(info.adminTokenFile, cwd)}` : ''})`,
    `  Tracking API ${info.url}/v1/track   (also /v1/batch, /v1/import and /v1/t /v1/b ... for analytics.js)`,
    `  Webhook      ${info.url}/webhook   (${info.webhookSigned ? 'X-Signature required' : 'write key required'})`,
    `  Admin API    ${info.url}/admin/stats   (Bearer admin token)`,
    `  Health       ${info.url}/healthz   ${info.url}/readyz`,
    `  Metrics      ${info.url}/metrics`,
    info.sandboxUrl
      ? `  Perkville    ${info.sandboxUrl}   (embedded sandbox, data in ${shellPath(`${info.dataDir}/sandbox`, cwd)})`
      : `  Perkville    ${info.perkvilleUrl}`,
    `  Public URL   ${publicUrlLine(info)}`,
    `  Data         ${shellPath(info.dataDir, cwd)}`,
  ]
  if (info.database) lines.push(`  Database     ${info.database}`)
  if (info.writeKeyFile) lines.push(`  Write key    in ${shellPath(info.writeKeyFile, cwd)}`)
  if (info.adminTokenFile) lines.push(`  Admin token  in ${shellPath(info.adminTokenFile, cwd)}`)
  if (!info.writeKeyFile)
    lines.push(
      '  (set WRITE_KEY / ADMIN_TOKEN in your shell to one of the configured keys for the commands below)',
    )
  const example = info.example
  if (example === null) {
    lines.push('', 'The settings map no event and no audience: nothing will be awarded (see eventToPerkMap).')
  } else {
    // A fresh messageId per run (the shell fills in the time), so each paste awards once.
    const event = { ...example.event, messageId: 'quickstart-MESSAGE_ID' }
    const body = shellSingleQuoted(JSON.stringify(event)).replace('MESSAGE_ID', `'"$(date +%s%N)"'`)
    lines.push(
      '',
      `Award points (${example.awards}):`,
      `  curl -u "${writeKey}:" -H 'Content-Type: application/json' -d '${body}' ${info.url}/v1/${example.path}`,
    )
  }
  lines.push(
    '',
    'See it through the admin API:',
    `  curl -H "Authorization: Bearer ${adminToken}" '${info.url}/admin/events?limit=5'`,
  )
  if (info.sandboxOrigin) {
    lines.push('', 'See it in the sandbox:', `  curl ${info.sandboxOrigin}/_sandbox/transactions`)
  }
  lines.push('')
  return `${lines.join('\n')}\n`
}

/** Text to sit inside '…' in a shell: an event name with a quote must not end the argument. */
function shellSingleQuoted(text: string): string {
  return text.replaceAll("'", `'\\''`)
}

/** A path as short as possible for the reader's shell: relative to the working directory when inside it. */
function shellPath(path: string, cwd: string): string {
  const rel = relative(cwd, path)
  const shown = rel === '' ? '.' : rel.startsWith('..') || rel.startsWith('/') ? path : `./${rel}`
  return /^[\w./-]+$/.test(shown) ? shown : `'${shown.replaceAll("'", `'\\''`)}'`
}
