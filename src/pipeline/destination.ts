import type { Logger } from 'pino'
import { decidesAlike, type Settings } from '../core/settings.js'
import type { PerkvilleClient } from '../perkville/client-api.js'

/** How long a replaced client stays open for the requests still using it. */
const RETIRE_AFTER_MS = 60_000

/**
 * The destination as it stands now: its settings and the Perkville client holding their API key.
 * A new key gets a new client (from the caller's factory); clients made here are closed here.
 */
export class Destination {
  private owned: PerkvilleClient[] = []

  constructor(
    public settings: Settings,
    /** The settings version in force, recorded with what is decided under it. */
    public version: number,
    public client: PerkvilleClient,
    private readonly createClient: (settings: Settings) => PerkvilleClient,
    private readonly logger: Logger,
    /**
     * The oldest version that decides alike with the one in force (no decision-relevant change
     * since): events decided under an older one are decided again. A change of the API key alone
     * decides nothing again, so a backlog drains without a re-deciding transaction per event.
     */
    public decidesSince: number = version,
  ) {}

  /** Values that must never appear in what the pipeline records. */
  secrets(): string[] {
    return [this.settings.apiKey]
  }

  /**
   * `decidesSince`, when the caller read it from the stored versions, is exact; without it, only a
   * version right after the one in force can keep the current one.
   */
  update(next: Settings, version: number, decidesSince?: number): void {
    const keyChanged = next.apiKey !== this.settings.apiKey
    if (keyChanged) {
      const previous = this.client
      this.client = this.createClient(next)
      this.owned.push(this.client)
      const i = this.owned.indexOf(previous)
      if (i >= 0) {
        this.owned.splice(i, 1)
        setTimeout(() => void previous.close().catch(() => undefined), RETIRE_AFTER_MS).unref()
      }
    }
    if (decidesSince !== undefined) this.decidesSince = decidesSince
    // A skipped version (another instance's, taken up late) may have decided differently.
    else if (!decidesAlike(next, this.settings) || version !== this.version + 1) this.decidesSince = version
    this.settings = next
    this.version = version
    this.logger.info({ keyChanged, version }, 'settings updated')
  }

  async close(): Promise<void> {
    for (const client of this.owned) await client.close().catch(() => undefined)
  }
}
