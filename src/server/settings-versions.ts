import type { Logger } from 'pino'
import { decidesAlike, parseSettings, redactSettings, type Settings } from '../core/settings.js'
import { describeSettingsChange } from '../core/settings-diff.js'
import type { SettingsSource, SettingsVersionRow, Storage } from '../pipeline/storage/storage.js'

/** How far back the start looks for the last version read from the settings file or configuration. */
const LOOK_BACK = 1_000

export interface SettingsVersionView {
  version: number
  at: string
  source: SettingsSource
  /** What changed from the version before; never a secret. */
  changes: string[]
}

/**
 * The destination settings as versions kept in the store, so they survive a restart and their
 * history can be shown. Which source wins at start: the settings given to this start (a file or
 * the configuration) win when they differ from the last version recorded from such a source;
 * otherwise the newest version stays in force, so a change made through the admin API survives a
 * restart with the same, unedited file. Every change is applied through `apply`, one at a time.
 */
export class SettingsVersions {
  private chain: Promise<unknown> = Promise.resolve()
  private applyToService: (settings: Settings, version: number, decidesSince: number) => Promise<void> =
    async () => {}
  private describeMore: (before: Settings, next: Settings) => Promise<string[]> = async () => []

  private constructor(
    private readonly storage: Storage,
    private readonly logger: Logger,
    private current: SettingsVersionRow & { parsed: Settings },
    /** At open: the oldest version deciding alike with the one in force (Destination.decidesSince follows changes). */
    readonly decidesSince: number = current.version,
  ) {}

  static async open(
    storage: Storage,
    given: Settings,
    source: Exclude<SettingsSource, 'api'>,
    logger: Logger,
    now: number = Date.now(),
    /** Sees the settings about to be in force before anything is written; throwing stops the start. */
    check: (inForce: Settings) => Promise<void> = async () => {},
  ): Promise<SettingsVersions> {
    const rows = await storage.settingsVersions(LOOK_BACK)
    const newest = rows[0]
    const lastGiven = rows.find((r) => r.source !== 'api')
    if (newest && lastGiven && describeSettingsChange(read(lastGiven), given).length === 0) {
      await check(read(newest))
      if (newest.version !== lastGiven.version)
        logger.info(
          { version: newest.version, source: newest.source },
          'settings: the version in force is kept (the given settings have not changed since they were last read)',
        )
      const parsed = read(newest)
      return new SettingsVersions(storage, logger, { ...newest, parsed }, alikeSince(rows, parsed))
    }
    const before = newest ? read(newest) : null
    const changes = describeSettingsChange(before, given)
    await check(given)
    if (newest && before && changes.length === 0)
      return new SettingsVersions(storage, logger, { ...newest, parsed: before }, alikeSince(rows, before))
    const row = { at: now, source, settings: JSON.stringify(given), changes: JSON.stringify(changes) }
    const version = await storage.appendSettingsVersion(row)
    logger.info({ version, source, changes }, 'settings: a new version from this start')
    const since = await decidesSinceFor(storage, version, given)
    return new SettingsVersions(storage, logger, { ...row, version, parsed: given }, since)
  }

  get settings(): Settings {
    return this.current.parsed
  }

  get version(): number {
    return this.current.version
  }

  /**
   * Where each new version goes once it is recorded (the delivery service), with the oldest version
   * that decides alike with it, read from the store (see decidesSinceFor).
   */
  onChange(apply: (settings: Settings, version: number, decidesSince: number) => Promise<void>): void {
    this.applyToService = apply
  }

  /** More words for a change's history entry, beyond what changed in the settings (queued events moving). */
  onDescribe(describe: (before: Settings, next: Settings) => Promise<string[]>): void {
    this.describeMore = describe
  }

  /** The version in force, the API key redacted. */
  view() {
    return {
      version: this.current.version,
      at: new Date(this.current.at).toISOString(),
      source: this.current.source,
      settings: redactSettings(this.current.parsed),
    }
  }

  /**
   * A new version from the same JSON as the settings file. `apiKey` may be left out to keep the
   * current one. Throws SettingsError naming every problem, with nothing applied; settings equal to
   * those in force make no new version.
   */
  apply(
    input: unknown,
    source: SettingsSource,
    now: number = Date.now(),
  ): Promise<{ version: number; changed: boolean }> {
    const run = this.chain.then(() => this.applyNow(input, source, now))
    this.chain = run.catch(() => undefined)
    return run
  }

  private async applyNow(input: unknown, source: SettingsSource, now: number) {
    const withKey =
      typeof input === 'object' && input !== null && !Array.isArray(input) && !Object.hasOwn(input, 'apiKey')
        ? { ...input, apiKey: this.current.parsed.apiKey }
        : input
    const next = parseSettings(withKey)
    const changes = describeSettingsChange(this.current.parsed, next)
    if (changes.length === 0) return { version: this.current.version, changed: false }
    changes.push(...(await this.describeMore(this.current.parsed, next)))
    const row = { at: now, source, settings: JSON.stringify(next), changes: JSON.stringify(changes) }
    const version = await this.storage.appendSettingsVersion(row)
    this.current = { ...row, version, parsed: next }
    await this.applyToService(next, version, await decidesSinceFor(this.storage, version, next))
    this.logger.info({ version, source, changes }, 'settings changed')
    return { version, changed: true }
  }

  /**
   * Takes up a newer version another instance recorded in the shared store (PostgreSQL), so every
   * instance decides events under the same settings. Answers whether one was taken up.
   */
  refresh(): Promise<boolean> {
    const run = this.chain.then(async () => {
      const [newest] = await this.storage.settingsVersions(1)
      if (!newest || newest.version <= this.current.version) return false
      const parsed = read(newest)
      this.current = { ...newest, parsed }
      await this.applyToService(
        parsed,
        newest.version,
        await decidesSinceFor(this.storage, newest.version, parsed),
      )
      this.logger.info(
        { version: newest.version, source: newest.source },
        'settings: took up a version recorded by another instance',
      )
      return true
    })
    this.chain = run.catch(() => undefined)
    return run
  }

  async history(limit: number): Promise<SettingsVersionView[]> {
    const rows = await this.storage.settingsVersions(limit)
    return rows.map((r) => ({
      version: r.version,
      at: new Date(r.at).toISOString(),
      source: r.source,
      changes: JSON.parse(r.changes) as string[],
    }))
  }
}

/**
 * The oldest of consecutive versions, newest first in `rows`, that decide alike with `inForce` (the
 * newest's settings): a backlog accepted under a version that only had another API key is not
 * decided again at start.
 */
function alikeSince(rows: SettingsVersionRow[], inForce: Settings): number {
  let since = rows[0]?.version ?? 0
  for (const row of rows.slice(1)) {
    if (row.version !== since - 1 || !decidesAlike(read(row), inForce)) break
    since = row.version
  }
  return since
}

/**
 * The oldest version that decides alike with `version` (whose settings are `inForce`), from the
 * versions as stored: instances sharing a database append versions concurrently, so the one before
 * this instance's own may be another's, and only the store knows whether it decided differently.
 */
async function decidesSinceFor(storage: Storage, version: number, inForce: Settings): Promise<number> {
  const rows = await storage.settingsVersions(LOOK_BACK)
  const upTo = rows.filter((r) => r.version <= version)
  return upTo[0]?.version === version ? alikeSince(upTo, inForce) : version
}

function read(row: SettingsVersionRow): Settings {
  return parseSettings(JSON.parse(row.settings))
}
