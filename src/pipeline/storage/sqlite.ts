import { closeSync, mkdirSync, openSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { boundedCompletions } from './bounded-completion.js'
import { acceptOp } from './sqlite/accept.js'
import { alertOps } from './sqlite/alerts.js'
import { claimOp } from './sqlite/claim.js'
import { completeOp } from './sqlite/complete.js'
import { Lanes } from './sqlite/lanes.js'
import { Ledgers } from './sqlite/ledgers.js'
import { migrateSqlite } from './sqlite/migrate.js'
import { overviewOps } from './sqlite/overview.js'
import { pruneOp } from './sqlite/prune.js'
import { queryOps } from './sqlite/queries.js'
import { redecideOp } from './sqlite/redecide.js'
import { requeueOps } from './sqlite/requeue.js'
import { searchOps } from './sqlite/search.js'
import { unparkOp } from './sqlite/unpark.js'
import type {
  AcceptBatch,
  AcceptContext,
  AcceptOutcome,
  AlertChange,
  AlertRow,
  ClaimResult,
  CompleteResult,
  Completion,
  FailureCount,
  NewSettingsVersion,
  PruneResult,
  RedecideResult,
  Redecision,
  RefusalCount,
  ReplayRange,
  SearchFilter,
  SearchHit,
  SettingsVersionRow,
  StatusCount,
  Storage,
  StoredEvent,
  StoredRefusal,
  WaitingCounts,
} from './storage.js'

export interface SqliteStorageOptions {
  /** The database file; its directory is created when missing. */
  path: string
  /**
   * 'NORMAL' (default): a commit reaches the OS before accept() resolves, so a kill -9 loses
   * nothing; a power cut may lose the last commits. 'FULL': fsync on every commit, power-cut safe.
   */
  synchronous?: 'NORMAL' | 'FULL'
}

export function openSqliteStorage(opts: SqliteStorageOptions): Storage {
  mkdirSync(dirname(opts.path), { recursive: true, mode: 0o700 })
  // Customer emails: the owner's alone. SQLite gives the -wal and -shm files the database file's mode.
  closeSync(openSync(opts.path, 'a', 0o600))
  const db = new Database(opts.path)
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${opts.synchronous ?? 'NORMAL'}`)
  db.pragma('busy_timeout = 5000')
  // Bounded page cache: a million queued rows live on disk, not in the heap.
  db.pragma('cache_size = -8000')
  // A checkpoint copies each page once however often the WAL holds it, and fsyncs on the commit's
  // thread: every ~80 MB of WAL instead of SQLite's 4 MB writes a third less per event at 200k events
  // and takes the accept rate there ~1.5× higher (docs/benchmarks-archive.md). The file is cut back after each one.
  db.pragma('wal_autocheckpoint = 20000')
  db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`)
  db.pragma('temp_store = MEMORY')
  try {
    migrateSqlite(db)
  } catch (err) {
    db.close()
    throw err
  }
  return new SqliteStorage(db)
}

/** The Storage contract on one SQLite file: each operation is a module in ./sqlite/, run synchronously. */
class SqliteStorage implements Storage {
  /** One writer: a second accept would only wait for the first's lock (docs/decisions.md). */
  readonly acceptsAtOnce = 1
  private closed = false
  private readonly acceptAll
  private readonly claimDue
  private readonly completeAll
  private readonly requeue
  private readonly read
  private readonly pruneOld
  private readonly find
  private readonly overview
  private readonly redecideOne
  private readonly unparkAll
  private readonly alerts

  constructor(private readonly db: Database.Database) {
    const lanes = new Lanes(db)
    const ledgers = new Ledgers(db)
    this.acceptAll = acceptOp(db, lanes, ledgers)
    this.claimDue = claimOp(db, lanes)
    this.completeAll = completeOp(db, lanes, ledgers)
    this.requeue = requeueOps(db, lanes, ledgers)
    this.read = queryOps(db)
    this.pruneOld = pruneOp(db)
    this.find = searchOps(db)
    this.overview = overviewOps(db)
    this.redecideOne = redecideOp(db, lanes, ledgers)
    this.unparkAll = unparkOp(db, lanes)
    this.alerts = alertOps(db)
  }

  async accept(batches: AcceptBatch[], ctx: AcceptContext): Promise<AcceptOutcome[][]> {
    return this.acceptAll(batches, ctx)
  }

  async claim(limit: number, now: number, leaseMs: number): Promise<ClaimResult> {
    return this.claimDue(limit, now, leaseMs)
  }

  async complete(completions: Completion[], now: number): Promise<CompleteResult> {
    if (this.closed) throw new Error('storage is closed')
    return this.completeAll(boundedCompletions(completions), now)
  }

  async redecide(r: Redecision, ctx: Omit<AcceptContext, 'dedupSince'>): Promise<RedecideResult> {
    return this.redecideOne(r, ctx)
  }

  async unpark(now: number, before: number): Promise<number> {
    return this.unparkAll(now, before)
  }

  async waiting(): Promise<WaitingCounts> {
    return this.read.waiting()
  }

  async getMeta(key: string): Promise<string | null> {
    return this.read.getMeta(key)
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.read.setMeta(key, value)
  }

  async recoverAbandoned(now: number): Promise<number> {
    return this.requeue.recoverAbandoned(now)
  }

  async retry(id: string, now: number, bulk?: boolean): Promise<boolean> {
    return this.requeue.retry(id, now, bulk)
  }

  replayFailed(range: ReplayRange, now: number): Promise<number> {
    return this.requeue.replayFailed(range, now)
  }

  async getEvent(id: string): Promise<StoredEvent | null> {
    return this.read.getEvent(id)
  }

  async dropTotals(): Promise<Record<string, number>> {
    return this.read.dropTotals()
  }

  async queueDepth(): Promise<number> {
    return this.read.queueDepth()
  }

  async search(filter: SearchFilter): Promise<SearchHit[]> {
    return this.find.search(filter)
  }

  async getRefusal(id: string): Promise<StoredRefusal | null> {
    return this.find.getRefusal(id)
  }

  async statusCounts(from: number, to: number): Promise<StatusCount[]> {
    return this.overview.statusCounts(from, to)
  }

  async refusalCounts(from: number, to: number): Promise<RefusalCount[]> {
    return this.overview.refusalCounts(from, to)
  }

  async failureCounts(from: number, to: number): Promise<FailureCount[]> {
    return this.overview.failureCounts(from, to)
  }

  async latencySample(from: number, to: number, limit: number): Promise<number[]> {
    return this.overview.latencySample(from, to, limit)
  }

  async oldestWaiting(): Promise<number | null> {
    return this.overview.oldestWaiting()
  }

  prune(deliveredBefore: number, ledgerBefore: number): Promise<PruneResult> {
    return this.pruneOld(deliveredBefore, ledgerBefore)
  }

  async bindSignedBody(messageId: string, digest: string, now: number, forgetBefore: number) {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM signed_bodies WHERE at < ?').run(forgetBefore)
      this.db.prepare('INSERT OR IGNORE INTO signed_bodies VALUES (?, ?, ?)').run(messageId, digest, now)
      return (
        this.db
          .prepare('SELECT body_digest FROM signed_bodies WHERE message_id = ?')
          .pluck()
          .get(messageId) === digest
      )
    })()
  }

  async appendSettingsVersion(v: NewSettingsVersion): Promise<number> {
    const info = this.db
      .prepare('INSERT INTO settings_versions (at, source, settings, changes) VALUES (?, ?, ?, ?)')
      .run(v.at, v.source, v.settings, v.changes)
    return Number(info.lastInsertRowid)
  }

  async settingsVersions(limit: number): Promise<SettingsVersionRow[]> {
    return this.db
      .prepare(
        'SELECT version, at, source, settings, changes FROM settings_versions ORDER BY version DESC LIMIT ?',
      )
      .all(limit) as SettingsVersionRow[]
  }

  async parkedByReason(): Promise<Array<{ reason: string; count: number }>> {
    return this.alerts.parkedByReason()
  }

  async newestDelivery(): Promise<number | null> {
    return this.alerts.newestDelivery()
  }

  async openAlerts(): Promise<AlertRow[]> {
    return this.alerts.openAlerts()
  }

  async recordAlert(change: AlertChange): Promise<AlertRow | null> {
    return this.alerts.recordAlert(change)
  }

  async alertHistory(limit: number): Promise<AlertRow[]> {
    return this.alerts.alertHistory(limit)
  }

  async probeWrite(): Promise<boolean> {
    try {
      // Two commits: a row the size of a big batch must reach the WAL, then it is removed again.
      this.db.prepare('INSERT OR REPLACE INTO write_probe VALUES (1, zeroblob(262144))').run()
      this.db.prepare('DELETE FROM write_probe').run()
      return true
    } catch {
      return false
    }
  }

  async ping(): Promise<boolean> {
    if (this.closed) return false
    try {
      this.db.prepare('SELECT 1').get()
      return true
    } catch {
      return false
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.db.close()
  }
}
