/**
 * `check`: asks Perkville whether the settings can work (token, business, location, every mapped
 * perk) and prints one line per item with what to do. Exit 0 all ok, 1 something wrong, 2 bad settings.
 */
import type { Writable } from 'node:stream'
import { SettingsError } from '../core/settings.js'
import { createPerkvilleClient } from '../perkville/client.js'
import { PerkvilleApiError } from '../perkville/client-api.js'
import { type CheckItem, checkSettings } from '../perkville/settings-check.js'
import { DEFAULT_BASE_URL, normaliseBaseUrl } from '../perkville/wire.js'
import { loadSettingsFile } from './plan-command.js'

export interface CheckCommandOptions {
  settings: string
  perkvilleUrl?: string
  timeout?: string
}

export async function checkCommand(
  opts: CheckCommandOptions,
  out: Writable = process.stdout,
  err: Writable = process.stderr,
): Promise<number> {
  let settings: ReturnType<typeof loadSettingsFile>
  try {
    settings = loadSettingsFile(opts.settings)
  } catch (e) {
    if (!(e instanceof SettingsError)) throw e
    err.write(`perkville-destination check: ${e.message}\n`)
    return 2
  }
  const given = opts.perkvilleUrl ?? DEFAULT_BASE_URL
  const timeoutMs = opts.timeout === undefined ? undefined : Number(opts.timeout)
  if (!isValidUrl(given)) {
    err.write(
      `perkville-destination check: --perkville-url must be an http(s) URL, got ${JSON.stringify(given)}\n`,
    )
    return 2
  }
  const { url: baseUrl, corrected } = normaliseBaseUrl(given)
  if (corrected) out.write(`Note: ${given} has no API path; using ${baseUrl} (the v2 API under it)\n`)
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    err.write(`perkville-destination check: --timeout must be a positive number of milliseconds\n`)
    return 2
  }
  out.write(`Checking settings ${opts.settings} against ${baseUrl}\n`)
  let client: ReturnType<typeof createPerkvilleClient>
  try {
    client = createPerkvilleClient({ baseUrl, token: settings.apiKey, ...(timeoutMs ? { timeoutMs } : {}) })
  } catch (e) {
    if (!(e instanceof PerkvilleApiError)) throw e
    out.write(`${formatItem({ item: 'token', ok: false, message: e.message })}\n1 of 1 checks failed.\n`)
    return 1
  }
  try {
    const items = await checkSettings(settings, client.baseUrl, client.getJson, { post: client.postJson })
    for (const item of items) out.write(`${formatItem(item)}\n`)
    const failed = items.filter((i) => !i.ok).length
    out.write(
      failed === 0 ? `All ${items.length} checks passed.\n` : `${failed} of ${items.length} checks failed.\n`,
    )
    return failed === 0 ? 0 : 1
  } finally {
    await client.close()
  }
}

export function formatItem(item: CheckItem): string {
  const head = `${item.ok ? 'ok  ' : 'FAIL'} ${item.item}: ${item.message}`
  return item.action ? `${head} -> ${item.action}` : head
}

function isValidUrl(text: string): boolean {
  try {
    const u = new URL(text)
    return u.protocol === 'http:' || u.protocol === 'https:'
  } catch {
    return false
  }
}
