import pg from 'pg'
import { boundedCompletions } from './bounded-completion.js'
import { accept } from './postgres/accept.js'
import { alertHistory, newestDelivery, openAlerts, parkedByReason, recordAlert } from './postgres/alerts.js'
import { claim } from './postgres/claim.js'
import { complete } from './postgres/complete.js'
import { PgDb } from './postgres/db.js'
import { listenForWork, newSenderId, notifyStatement } from './postgres/listen.js'
import { checkSchemaName, migratePostgres } from './postgres/migrate.js'
import {
  failureCounts,
  latencySample,
  oldestWaiting,
  refusalCounts,
  statusCounts,
} from './postgres/overview.js'
import { type DatabasePooling, poolerHint } from './postgres/pooler.js'
import { prepareStatements, StatementNaming } from './postgres/prepared.js'
import { prune } from './postgres/prune.js'
import { dropTotals, getEvent, getMeta, queueDepth, setMeta, waiting } from './postgres/queries.js'
import { redecide } from './postgres/redecide.js'
import { recoverAbandoned, replayFailed, retry } from './postgres/requeue.js'
import { getRefusal, search } from './postgres/search.js'
import { unpark } from './postgres/unpark.js'
import { redactDatabaseUrl, scrubDatabasePassword } from './postgres-url.js'
import type {
  AcceptBatch,
  AcceptContext,
  AcceptOutcome,
  AlertChange,
  Completion,
  NewSettingsVersion,
  Redecision,
  ReplayRange,
  SearchFilter,
  SettingsVersionRow,
  Storage,
} from './storage.js'

export interface PostgresStorageOptions {
  /** postgres://user:password@host:port/database */
  connectionString: string
  /** Tables live in this schema (created when missing); default `public`. */
  schema?: string
  /** Connections per instance; default 10. */
  poolSize?: number
  /** Gives up connecting after this long; default 5 s. */
  connectTimeoutMs?: number
  /** Told about connection errors that happen outside any query (an idle connection dropped). */
  onError?: (err: Error) => void
  /**
   * `transaction`: the URL leads to a pooler that lends a server connection per transaction
   * (PgBouncer's `pool_mode = transaction`): no named statements, no LISTEN through it. Default
   * `session` (a direct connection or session pooling); transaction pooling is then found by the
   * errors it causes and handled the same way from then on.
   */
  pooling?: DatabasePooling
  /** Where to LISTEN for other instances' work: straight to PostgreSQL. Default: the URL itself, unless pooled per transaction (then polling only). */
  listenUrl?: string | null
  /** Told once when the connection turned out to be pooled per transaction although `pooling` said session. */
  onPoolerFound?: (found: { stoppedListening: boolean }) => void
}

// int8 (counts, times, ids) as numbers: every value stored here stays below 2^53.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 && format !== 'binary') return (v: string) => Number(v)
    return pg.types.getTypeParser(oid, format as 'text')
  },
}

/** Opens the pool and migrates the schema (under an advisory lock, so instances may start together). */
export async function openPostgresStorage(opts: PostgresStorageOptions): Promise<Storage> {
  const schema = checkSchemaName(opts.schema ?? 'public')
  const connectTimeoutMs = opts.connectTimeoutMs ?? 5_000
  // No startup parameters (a pooler may refuse them); the schema is set per transaction (PgDb).
  const connection = {
    connectionString: opts.connectionString,
    connectionTimeoutMillis: connectTimeoutMs,
    types,
  }
  try {
    // On a connection of its own, with unnamed statements: it runs once.
    const client = new pg.Client(connection)
    client.on('error', () => undefined)
    await client.connect()
    try {
      await migratePostgres(client, schema)
    } finally {
      await client.end().catch(() => undefined)
    }
  } catch (err) {
    const reason = scrubDatabasePassword(
      err instanceof Error ? err.message : String(err),
      opts.connectionString,
    )
    throw new Error(
      `cannot open the PostgreSQL database ${redactDatabaseUrl(opts.connectionString)}: ${reason}${poolerHint(err)}`,
    )
  }
  const pooled = opts.pooling === 'transaction'
  const listenUrl = opts.listenUrl ?? (pooled ? null : opts.connectionString)
  let stopListeningThroughPool: (() => Promise<void>) | null = null
  const naming = new StatementNaming(!pooled, () => {
    const stop = stopListeningThroughPool
    stopListeningThroughPool = null
    void stop?.()
    opts.onPoolerFound?.({ stoppedListening: stop !== null })
  })
  const pool = new pg.Pool({ ...connection, max: opts.poolSize ?? 10, idleTimeoutMillis: 30_000 })
  // Without a listener, an idle connection's error would crash the process.
  pool.on('error', (err) => opts.onError?.(err))
  // The pool listens only while a connection is idle: one checked out when the server goes away
  // (a fast shutdown) would emit 'error' to nobody and take the process down. Its query still fails.
  pool.on('connect', (client) => {
    client.on('error', (err) => opts.onError?.(err))
    prepareStatements(client, naming)
  })
  const sender = newSenderId()
  const db = new PgDb(pool, {
    closed: false,
    notifySql: notifyStatement(schema, sender),
    begin: `BEGIN; SET LOCAL search_path TO ${schema}`,
    naming,
  })
  return new PostgresStorage(db, (onWork) => {
    // Through a pooler found to lend connections per transaction, LISTEN hears nothing: poll only.
    const throughPool = listenUrl === opts.connectionString
    if (listenUrl === null || (throughPool && !naming.named)) return async () => undefined
    const stop = listenForWork({
      connectionString: listenUrl,
      schema,
      sender,
      connectTimeoutMs,
      onWork,
      onError: (err) => opts.onError?.(err),
    })
    if (throughPool) stopListeningThroughPool = stop
    return stop
  })
}

/**
 * An accept has news for the other instances when it queued more than this one claims itself right
 * away: waking them for less only costs every instance a claim that finds nothing.
 */
function othersNeeded(out: unknown, ctx: AcceptContext): boolean {
  let queued = 0
  for (const b of out as AcceptOutcome[][]) for (const o of b) if (o === 'queued') queued++
  return queued > (ctx.selfClaims?.() ?? 0)
}

/**
 * The Storage contract on a PostgreSQL schema shared by instances: each operation is a module in
 * ./postgres/, whose answer's type `implements Storage` checks (it is not written again here).
 */
class PostgresStorage implements Storage {
  /**
   * Two, the second starting once the first holds its locks: it then only waits on the server (its
   * inserts, the commit's fsync) while the second takes its batch's locks (docs/decisions.md).
   */
  readonly acceptsAtOnce = 2

  constructor(
    private readonly db: PgDb,
    readonly watchForWork: (onWork: () => void) => () => Promise<void>,
  ) {}

  accept(batches: AcceptBatch[], ctx: AcceptContext): Promise<AcceptOutcome[][]> {
    return accept(
      this.db.notifying((out) => othersNeeded(out, ctx)),
      batches,
      ctx,
    )
  }

  claim(limit: number, now: number, leaseMs: number) {
    return claim(this.db, limit, now, leaseMs)
  }

  complete(completions: Completion[], now: number) {
    return complete(this.db, boundedCompletions(completions), now)
  }

  redecide(r: Redecision, ctx: Omit<AcceptContext, 'dedupSince'>) {
    return redecide(this.db, r, ctx)
  }

  unpark(now: number, before: number): Promise<number> {
    return unpark(this.db, now, before)
  }

  waiting() {
    return waiting(this.db)
  }

  getMeta(key: string): Promise<string | null> {
    return getMeta(this.db, key)
  }

  setMeta(key: string, value: string): Promise<void> {
    return setMeta(this.db, key, value)
  }

  recoverAbandoned(now: number): Promise<number> {
    return recoverAbandoned(this.db, now)
  }

  retry(id: string, now: number, bulk?: boolean): Promise<boolean> {
    return retry(this.db, id, now, bulk)
  }

  replayFailed(range: ReplayRange, now: number): Promise<number> {
    return replayFailed(this.db, range, now)
  }

  getEvent(id: string) {
    return getEvent(this.db, id)
  }

  dropTotals(): Promise<Record<string, number>> {
    return dropTotals(this.db)
  }

  queueDepth(): Promise<number> {
    return queueDepth(this.db)
  }

  search(filter: SearchFilter) {
    return search(this.db, filter)
  }

  getRefusal(id: string) {
    return getRefusal(this.db, id)
  }

  statusCounts(from: number, to: number) {
    return statusCounts(this.db, from, to)
  }

  refusalCounts(from: number, to: number) {
    return refusalCounts(this.db, from, to)
  }

  failureCounts(from: number, to: number) {
    return failureCounts(this.db, from, to)
  }

  latencySample(from: number, to: number, limit: number): Promise<number[]> {
    return latencySample(this.db, from, to, limit)
  }

  oldestWaiting(): Promise<number | null> {
    return oldestWaiting(this.db)
  }

  prune(deliveredBefore: number, ledgerBefore: number) {
    return prune(this.db, deliveredBefore, ledgerBefore)
  }

  async bindSignedBody(messageId: string, digest: string, now: number, forgetBefore: number) {
    return this.db.tx(async (c) => {
      await c.query('DELETE FROM signed_bodies WHERE at < $1', [forgetBefore])
      await c.query('INSERT INTO signed_bodies VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
        messageId,
        digest,
        now,
      ])
      const res = await c.query('SELECT body_digest FROM signed_bodies WHERE message_id = $1', [messageId])
      return res.rows[0]?.body_digest === digest
    })
  }

  async appendSettingsVersion(v: NewSettingsVersion): Promise<number> {
    const res = await this.db.query(
      'INSERT INTO settings_versions (at, source, settings, changes) VALUES ($1, $2, $3, $4) RETURNING version',
      [v.at, v.source, v.settings, v.changes],
    )
    return Number(res.rows[0]?.version)
  }

  async settingsVersions(limit: number): Promise<SettingsVersionRow[]> {
    const res = await this.db.query<SettingsVersionRow>(
      'SELECT version, at, source, settings, changes FROM settings_versions ORDER BY version DESC LIMIT $1',
      [limit],
    )
    return res.rows.map((r) => ({ ...r, version: Number(r.version), at: Number(r.at) }))
  }

  parkedByReason(): Promise<Array<{ reason: string; count: number }>> {
    return parkedByReason(this.db)
  }

  newestDelivery(): Promise<number | null> {
    return newestDelivery(this.db)
  }

  openAlerts() {
    return openAlerts(this.db)
  }

  recordAlert(change: AlertChange) {
    return recordAlert(this.db, change)
  }

  alertHistory(limit: number) {
    return alertHistory(this.db, limit)
  }

  /** PostgreSQL's writes fail when it is unreachable, which is what a round trip tells. */
  probeWrite(): Promise<boolean> {
    return this.ping()
  }

  async ping(): Promise<boolean> {
    if (this.db.closed) return false
    try {
      await this.db.pool.query('SELECT 1')
      return true
    } catch {
      return false
    }
  }

  async close(): Promise<void> {
    if (this.db.closed) return
    this.db.closed = true
    await this.db.pool.end()
  }
}
