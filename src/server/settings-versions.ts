import type { Logger } from 'pino'
import {
  decidesAlike,
  parseSettings,
  redactSettings,
  type Settings,
  SettingsError,
} from '../core/settings.js'
import { describeSettingsChange } from '../core/settings-diff.js'
import type { SettingsSource, SettingsStore, SettingsVersionRow } from '../pipeline/storage/storage.js'

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
  /** Stored versions this start passed over because they cannot be applied; cleared by the next change. */
  private startProblem: SettingsVersionProblem | null = null
  /** Newer versions (another instance's) that cannot be applied, logged once each. */
  private readonly refused = new Set<number>()

  private constructor(
    private readonly storage: SettingsStore,
    private readonly logger: Logger,
    private current: SettingsVersionRow & { parsed: Settings },
    /** At open: the oldest version deciding alike with the one in force (Destination.decidesSince follows changes). */
    readonly decidesSince: number = current.version,
  ) {}

  static async open(
    storage: SettingsStore,
    given: Settings,
    source: Exclude<SettingsSource, 'api'>,
    logger: Logger,
    now: number = Date.now(),
    /** Sees the settings about to be in force before anything is written; throwing stops the start. */
    check: (inForce: Settings) => Promise<void> = async () => {},
  ): Promise<SettingsVersions> {
    const rows = (await storage.settingsVersions(LOOK_BACK)).map(readRow)
    // Versions that cannot be applied (an older release's, or edited by hand) never stop a start:
    // they are passed over, and the newest version that applies stands in for them.
    const skipped = takeWhile(rows, (r) => r.parsed === null)
    const newest = rows.find((r) => r.parsed !== null)
    const lastGiven = rows.find((r) => r.source !== 'api')
    for (const bad of skipped) {
      logger.error(
        { version: bad.version, source: bad.source, problems: bad.problems },
        'settings: a stored version cannot be applied and is passed over',
      )
    }
    // The given settings win when they changed since last read; otherwise the newest version that applies.
    const givenUnchanged =
      lastGiven?.parsed != null && describeSettingsChange(lastGiven.parsed, given).length === 0
    const inForce = givenUnchanged && newest?.parsed ? newest.parsed : given
    await check(inForce)
    const fallback = newest && inForce === newest.parsed ? newest : null
    const problem = skipped.length === 0 ? null : passedOver(skipped, fallback)
    if (
      skipped.length === 0 &&
      newest?.parsed &&
      describeSettingsChange(newest.parsed, inForce).length === 0
    ) {
      if (givenUnchanged && newest.version !== lastGiven?.version)
        logger.info(
          { version: newest.version, source: newest.source },
          'settings: the version in force is kept (the given settings have not changed since they were last read)',
        )
      return new SettingsVersions(
        storage,
        logger,
        { ...newest, parsed: newest.parsed },
        alikeSince(rows, newest.parsed),
      )
    }
    // A new version: the given settings, or the last version that applies written again on top of
    // those that do not, so the newest stored version is always the one in force.
    const changes = [
      ...(problem === null ? [] : [problem.message]),
      ...describeSettingsChange(newest?.parsed ?? null, inForce),
    ]
    // A stored version written again keeps its source, so the next start still tells the given
    // settings (file, configuration) from changes made through the admin API.
    const row = {
      at: now,
      source: fallback?.source ?? source,
      settings: JSON.stringify(inForce),
      changes: JSON.stringify(changes),
    }
    const version = await storage.appendSettingsVersion(row)
    logger.info({ version, source: row.source, changes }, 'settings: a new version from this start')
    const since = await decidesSinceFor(storage, version, inForce)
    const opened = new SettingsVersions(storage, logger, { ...row, version, parsed: inForce }, since)
    opened.startProblem = problem
    return opened
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
      ...(this.startProblem ? { problem: this.startProblem } : {}),
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
    this.startProblem = null
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
      const [stored] = await this.storage.settingsVersions(1)
      if (!stored || stored.version <= this.current.version) return false
      const newest = readRow(stored)
      const parsed = newest.parsed
      if (parsed === null) {
        // Another instance (an older release) stored what this one cannot apply: keep the one in force.
        if (!this.refused.has(newest.version))
          this.logger.error(
            { version: newest.version, source: newest.source, problems: newest.problems },
            'settings: a version recorded by another instance cannot be applied; the one in force is kept',
          )
        this.refused.add(newest.version)
        return false
      }
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
 * decided again at start. A version that cannot be read decides unlike any.
 */
function alikeSince(rows: ReadRow[], inForce: Settings): number {
  let since = rows[0]?.version ?? 0
  for (const row of rows.slice(1)) {
    if (row.version !== since - 1 || row.parsed === null || !decidesAlike(row.parsed, inForce)) break
    since = row.version
  }
  return since
}

/**
 * The oldest version that decides alike with `version` (whose settings are `inForce`), from the
 * versions as stored: instances sharing a database append versions concurrently, so the one before
 * this instance's own may be another's, and only the store knows whether it decided differently.
 */
async function decidesSinceFor(storage: SettingsStore, version: number, inForce: Settings): Promise<number> {
  const rows = (await storage.settingsVersions(LOOK_BACK)).filter((r) => r.version <= version).map(readRow)
  return rows[0]?.version === version ? alikeSince(rows, inForce) : version
}

/** What a start says of the stored versions it passed over (the API, the log and the console's banner). */
export interface SettingsVersionProblem {
  /** The versions passed over, newest first. */
  versions: number[]
  /** The version whose settings stand in for them, or null when the given settings do. */
  fallback: number | null
  message: string
}

function passedOver(skipped: ReadRow[], fallback: ReadRow | null): SettingsVersionProblem {
  const [first] = skipped
  const which =
    skipped.length === 1
      ? `version ${first?.version} (${first?.source === 'api' ? 'admin API' : first?.source})`
      : `versions ${skipped.map((r) => r.version).join(', ')}`
  const instead = fallback
    ? `the settings of version ${fallback.version}`
    : 'the settings given to this start'
  const problems = skipped.flatMap((r) => r.problems)
  return {
    versions: skipped.map((r) => r.version),
    fallback: fallback?.version ?? null,
    message: `${which} could not be applied (${problems.join('; ')}); the service started on ${instead} instead. Save corrected settings to replace them.`,
  }
}

interface ReadRow extends SettingsVersionRow {
  /** The settings, or null when they cannot be applied (then `problems` says why, never the key). */
  parsed: Settings | null
  problems: string[]
}

function readRow(row: SettingsVersionRow): ReadRow {
  try {
    return { ...row, parsed: parseSettings(JSON.parse(row.settings)), problems: [] }
  } catch (err) {
    const problems = err instanceof SettingsError ? err.problems : ['the stored settings are not valid JSON']
    return { ...row, parsed: null, problems }
  }
}

function takeWhile<T>(items: T[], keep: (item: T) => boolean): T[] {
  const i = items.findIndex((item) => !keep(item))
  return i < 0 ? items : items.slice(0, i)
}
