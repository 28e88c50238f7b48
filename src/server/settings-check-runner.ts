import type { Logger } from 'pino'
import type { Settings } from '../core/settings.js'
import { boundErrorText } from '../perkville/bounded-body.js'
import { createPerkvilleClient } from '../perkville/client.js'
import type { PerkvilleClientOptions } from '../perkville/client-api.js'
import type { ContractProbeResult } from '../perkville/contract-probe.js'
import { type CheckItem, checkSettings } from '../perkville/settings-check.js'

export interface SettingsCheckView {
  /** ok: every item passed; problem: one failed; unknown: not checked yet. */
  state: 'ok' | 'problem' | 'unknown'
  checkedAt: string | null
  items: CheckItem[]
  /** The last live contract check (`check --write-probe`), when one was kept. */
  contract?: ContractProbeResult | null
}

/**
 * The settings check the service runs by itself: at start and after every settings change, one
 * at a time. Its result is shown in full to the admin API (in brief, item names only, on
 * GET /admin/health); a problem is logged at warn with what to do.
 */
export class SettingsCheckRunner {
  private last: { at: number; items: CheckItem[] } | null = null
  private chain: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly check: (settings: Settings) => Promise<CheckItem[]>,
    private readonly logger: Logger,
    private readonly contract: () => ContractProbeResult | null = () => null,
  ) {}

  run(settings: Settings): Promise<SettingsCheckView> {
    const next = this.chain.then(async () => {
      let items: CheckItem[]
      try {
        // Item messages quote Perkville's answers: bounded like every stored or shown error.
        items = (await this.check(settings)).map((i) => ({ ...i, message: boundErrorText(i.message) }))
      } catch (err) {
        items = [{ item: 'token', ok: false, message: `could not check: ${(err as Error).message}` }]
      }
      this.last = { at: Date.now(), items }
      const failed = items.filter((i) => !i.ok)
      if (failed.length === 0) this.logger.info({ items: items.length }, 'settings check: every item passed')
      else
        this.logger.warn(
          { failed: failed.map(({ item, message, action }) => ({ item, message, action })) },
          'settings check: the settings have problems',
        )
      return this.view()
    })
    this.chain = next.catch(() => undefined)
    return next
  }

  /** The check of settings not (yet) in force: its items, kept nowhere (the banner is about the settings in force). */
  async preview(settings: Settings): Promise<CheckItem[]> {
    try {
      return await this.check(settings)
    } catch (err) {
      return [{ item: 'token', ok: false, message: `could not check: ${(err as Error).message}` }]
    }
  }

  view(): SettingsCheckView {
    const contract = this.contract()
    if (this.last === null) return { state: 'unknown', checkedAt: null, items: [], contract }
    const ok = this.last.items.every((i) => i.ok)
    return {
      state: ok ? 'ok' : 'problem',
      checkedAt: new Date(this.last.at).toISOString(),
      items: this.last.items,
      contract,
    }
  }

  /** For GET /admin/health: which items failed, without their messages. */
  summary(): { state: SettingsCheckView['state']; checkedAt: string | null; failed: string[] } {
    const view = this.view()
    return {
      state: view.state,
      checkedAt: view.checkedAt,
      failed: view.items.filter((i) => !i.ok).map((i) => i.item),
    }
  }
}

/**
 * The check with a client of its own holding the settings' key (the one delivering may still hold
 * the previous key), closed afterwards. A key no bearer token can be is a failed token item.
 */
export async function checkWithOwnClient(
  settings: Settings,
  options: Omit<PerkvilleClientOptions, 'token'>,
): Promise<CheckItem[]> {
  const client = createPerkvilleClient({ ...options, token: settings.apiKey })
  try {
    return await checkSettings(settings, client.baseUrl, client.getJson, { post: client.postJson })
  } finally {
    await client.close()
  }
}
