import { relative } from 'node:path'

export interface BannerInfo {
  url: string
  /** Files holding generated secrets; null when the secret came from the configuration. */
  writeKeyFile: string | null
  adminTokenFile: string | null
  sandboxOrigin: string | null
  sandboxUrl: string | null
  perkvilleUrl: string
  dataDir: string
  /** The shared PostgreSQL database (password redacted), when one is used instead of SQLite. */
  database?: string
  webhookSigned: boolean
}

/**
 * The human-readable start-up text. Secrets are never printed: the commands read them from their
 * files with `$(cat FILE)` (or from a variable the operator sets when they configured their own).
 */
export function startupBanner(info: BannerInfo, cwd: string = process.cwd()): string {
  const writeKey = info.writeKeyFile ? `$(cat ${shellPath(info.writeKeyFile, cwd)})` : '$WRITE_KEY'
  const adminToken = info.adminTokenFile ? `$(cat ${shellPath(info.adminTokenFile, cwd)})` : '$ADMIN_TOKEN'
  const event = {
    type: 'track',
    event: 'Checked In',
    userId: 'user-1',
    properties: { email: 'jane@example.com' },
    messageId: 'quickstart-MESSAGE_ID',
  }
  // A fresh messageId per run (the shell fills in the time), so each paste awards once.
  const body = JSON.stringify(event).replace('MESSAGE_ID', `'"$(date +%s%N)"'`)
  const lines = [
    '',
    'Perkville destination is running',
    `  Service      ${info.url}`,
    `  Tracking API ${info.url}/v1/track   (also /v1/batch, /v1/import and /v1/t /v1/b ... for analytics.js)`,
    `  Webhook      ${info.url}/webhook   (${info.webhookSigned ? 'X-Signature required' : 'write key required'})`,
    `  Admin API    ${info.url}/admin/stats   (Bearer admin token)`,
    `  Health       ${info.url}/healthz   ${info.url}/readyz`,
    `  Metrics      ${info.url}/metrics`,
    info.sandboxUrl
      ? `  Perkville    ${info.sandboxUrl}   (embedded sandbox, data in ${shellPath(`${info.dataDir}/sandbox`, cwd)})`
      : `  Perkville    ${info.perkvilleUrl}`,
    `  Data         ${shellPath(info.dataDir, cwd)}`,
  ]
  if (info.database) lines.push(`  Database     ${info.database}`)
  if (info.writeKeyFile) lines.push(`  Write key    in ${shellPath(info.writeKeyFile, cwd)}`)
  if (info.adminTokenFile) lines.push(`  Admin token  in ${shellPath(info.adminTokenFile, cwd)}`)
  if (!info.writeKeyFile)
    lines.push(
      '  (set WRITE_KEY / ADMIN_TOKEN in your shell to one of the configured keys for the commands below)',
    )
  lines.push(
    '',
    'Award points (Checked In -> perk 3001):',
    `  curl -u "${writeKey}:" -H 'Content-Type: application/json' -d '${body}' ${info.url}/v1/track`,
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

/** A path as short as possible for the reader's shell: relative to the working directory when inside it. */
function shellPath(path: string, cwd: string): string {
  const rel = relative(cwd, path)
  const shown = rel === '' ? '.' : rel.startsWith('..') || rel.startsWith('/') ? path : `./${rel}`
  return /^[\w./-]+$/.test(shown) ? shown : `'${shown.replaceAll("'", `'\\''`)}'`
}
