/**
 * `check`: asks Perkville whether the settings can work (token, business, location, every mapped
 * perk) and prints one line per item with what to do. Exit 0 all ok, 1 something wrong, 2 bad settings.
 */
import { resolve } from 'node:path'
import type { Writable } from 'node:stream'
import { SettingsError } from '../core/settings.js'
import { createPerkvilleClient } from '../perkville/client.js'
import { PerkvilleApiError } from '../perkville/client-api.js'
import { runContractProbe } from '../perkville/contract-probe.js'
import { type CheckItem, checkSettings } from '../perkville/settings-check.js'
import { DEFAULT_BASE_URL, normaliseBaseUrl } from '../perkville/wire.js'
import { writeContractCheck } from '../server/contract-check-file.js'
import { loadSettingsFile } from './plan-command.js'

export interface CheckCommandOptions {
  settings: string
  perkvilleUrl?: string
  timeout?: string
  /** The live contract check: writes one transaction to a test business. */
  writeProbe?: boolean
  perk?: string
  businessIsTest?: boolean
  email?: string
  /** Where the probe's result is kept for the console (default ./data, the service's default). */
  dataDir?: string
}

export const DEFAULT_PROBE_EMAIL = 'perkville-destination-probe@example.com'

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
  const probeProblem = writeProbeProblem(opts)
  if (probeProblem !== null) {
    err.write(`perkville-destination check: ${probeProblem}\n`)
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
    if (!opts.writeProbe) return failed === 0 ? 0 : 1
    const probed = await writeProbe(opts, settings, client, out)
    return failed === 0 && probed ? 0 : 1
  } finally {
    await client.close()
  }
}

/** Why the write probe may not run as asked, or null. It writes to Perkville: only a test business. */
function writeProbeProblem(opts: CheckCommandOptions): string | null {
  if (!opts.writeProbe) {
    return opts.perk !== undefined || opts.businessIsTest
      ? '--perk and --business-is-test go with --write-probe'
      : null
  }
  if (!opts.businessIsTest) {
    return '--write-probe posts a real transaction (1 unit of --perk to a probe customer) and refuses to run without --business-is-test: run it only against a test business'
  }
  if (opts.perk === undefined || !/^[1-9]\d*$/.test(opts.perk.trim())) {
    return `--write-probe needs --perk ID, a perk of the test business (got ${JSON.stringify(opts.perk ?? null)})`
  }
  return null
}

/** Runs the live contract check, prints every step and verdict, and keeps the result. */
async function writeProbe(
  opts: CheckCommandOptions,
  settings: ReturnType<typeof loadSettingsFile>,
  client: ReturnType<typeof createPerkvilleClient>,
  out: Writable,
): Promise<boolean> {
  const target = {
    businessId: settings.businessId,
    locationId: settings.locationId,
    perkId: (opts.perk ?? '').trim(),
    email: opts.email ?? DEFAULT_PROBE_EMAIL,
  }
  const result = await runContractProbe(target, client.baseUrl, {
    get: client.getJson,
    post: client.postJson,
  })
  out.write(
    `Write probe on test business ${target.businessId}, perk ${target.perkId}, trans_source_id ${result.transSourceId}:\n`,
  )
  for (const step of result.steps) out.write(`  ${step.step}: ${step.answer}\n`)
  for (const item of result.assumptions) out.write(`${formatItem(item)}\n`)
  out.write(
    result.ok
      ? "The destination's assumptions hold: a resend is never a second award, and a lost answer is settled by lookup.\n"
      : "The destination's assumptions do NOT hold against this Perkville (see above).\n",
  )
  try {
    const file = writeContractCheck(resolve(opts.dataDir ?? './data'), result)
    out.write(`Kept in ${file} (the console shows it under Settings check).\n`)
  } catch (e) {
    out.write(`Could not keep the result: ${(e as Error).message}\n`)
  }
  return result.ok
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
