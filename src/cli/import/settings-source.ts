import { request } from 'undici'
import { parseSettings, type Settings } from '../../core/settings.js'
import { loadSettingsFile } from '../plan-command.js'
import { describeTransportError } from './sender.js'

/** No settings to decide with: neither a file nor a service that gives them. */
export class SettingsUnavailable extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SettingsUnavailable'
  }
}

/**
 * The settings a dry run decides with: `--settings FILE`, or the running service's own through its
 * admin API (`GET /admin/settings`, Bearer admin token). Throws a SettingsUnavailable saying what to do
 * when neither is available.
 */
export async function dryRunSettings(opts: {
  settingsFile: string | null
  adminToken: string | null
  url: string
  timeoutMs: number
}): Promise<Settings> {
  if (opts.settingsFile !== null) return loadSettingsFile(opts.settingsFile)
  if (opts.adminToken === null)
    throw new SettingsUnavailable(
      '--dry-run needs the destination settings: pass --settings FILE (or an admin token, --admin-token or --admin-token-file, to read them from the service)',
    )
  const url = `${opts.url}/admin/settings`
  let status: number
  let body: unknown
  try {
    const res = await request(url, {
      headers: { authorization: `Bearer ${opts.adminToken}`, accept: 'application/json' },
      signal: AbortSignal.timeout(opts.timeoutMs),
    })
    status = res.statusCode
    body = await res.body.json().catch(() => null)
  } catch (err) {
    throw new SettingsUnavailable(
      `cannot read the settings from ${url}: ${describeTransportError(err)}; pass --settings FILE`,
    )
  }
  if (status === 404)
    throw new SettingsUnavailable(
      `the service at ${opts.url} does not offer its settings (GET /admin/settings answered 404); pass --settings FILE`,
    )
  if (status === 401 || status === 403)
    throw new SettingsUnavailable(
      `the service refused the admin token (${status}); pass --settings FILE or the right token`,
    )
  if (status !== 200) throw new SettingsUnavailable(`GET ${url} answered ${status}; pass --settings FILE`)
  const value = (body as { settings?: unknown } | null)?.settings ?? body
  // The service may well leave its API key out; a dry run never talks to Perkville, so any will do.
  if (typeof value === 'object' && value !== null && !('apiKey' in value))
    return parseSettings({ ...value, apiKey: 'unused-by-a-dry-run' })
  return parseSettings(value)
}
