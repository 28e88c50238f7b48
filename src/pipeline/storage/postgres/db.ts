import type pg from 'pg'
import type { StatementNaming } from './prepared.js'

export type Client = pg.PoolClient

export const ACTIVE = `status IN ('pending', 'in_flight', 'retrying')`
/** Rows per page when pruning or replaying. */
export const PAGE = 2_000

/** Deadlocks and serialisation failures roll back cleanly; the work is simply run again. */
const RETRYABLE = new Set(['40P01', '40001'])
const MAX_TX_TRIES = 5

function retryable(err: unknown, attempt: number): boolean {
  const code = (err as { code?: string }).code
  return code !== undefined && RETRYABLE.has(code) && attempt < MAX_TX_TRIES
}

/** Told after a transaction's work whether to wake the other instances (NOTIFY, sent at COMMIT). */
export type NotifyWhen = (out: unknown) => boolean

/** What every view of one pool shares. */
export interface PgShared {
  closed: boolean
  /** `NOTIFY …` for transactions of a `notifying` view. */
  notifySql: string | null
  /**
   * Opens every transaction, one round trip: `BEGIN; SET LOCAL search_path TO <schema>`. The schema
   * is set for each transaction alone, never for a session, so it holds on whichever server
   * connection a pooler lends (docs/decisions.md).
   */
  begin: string
  naming: StatementNaming
}

/**
 * The pool, and the three ways the operations use it: a transaction, one statement, one query.
 * A lone statement runs in a transaction of its own too: that is what sets its schema.
 */
export class PgDb {
  constructor(
    readonly pool: pg.Pool,
    private readonly shared: PgShared,
    private readonly notifyWhen: NotifyWhen | null = null,
  ) {}

  get closed(): boolean {
    return this.shared.closed
  }

  set closed(value: boolean) {
    this.shared.closed = value
  }

  /**
   * The same database, whose transactions also tell the other instances there is new work when
   * `when(result)` says so. The NOTIFY goes in the same round trip as COMMIT and PostgreSQL
   * delivers it only if the commit succeeds, so a listener never wakes for work it cannot see.
   */
  notifying(when: NotifyWhen): PgDb {
    return new PgDb(this.pool, this.shared, when)
  }

  /** Runs fn in one transaction, again from the start when PostgreSQL broke a deadlock. */
  async tx<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('storage is closed')
    for (let attempt = 1; ; attempt++) {
      const c = await this.pool.connect()
      let broken: Error | undefined
      try {
        await c.query(this.shared.begin)
        const out = await fn(c)
        const notify = this.shared.notifySql !== null && this.notifyWhen?.(out) === true
        await c.query(notify ? `${this.shared.notifySql}; COMMIT` : 'COMMIT')
        return out
      } catch (err) {
        try {
          await c.query('ROLLBACK')
        } catch (e) {
          broken = e as Error
        }
        if (retryable(err, attempt) || this.shared.naming.turnedOffBy(err)) continue
        throw err
      } finally {
        c.release(broken)
      }
    }
  }

  /** One statement, run again when PostgreSQL broke a deadlock. */
  statement<R extends pg.QueryResultRow>(sql: string, args: unknown[]): Promise<pg.QueryResult<R>> {
    return this.query<R>(sql, args)
  }

  query<R extends pg.QueryResultRow>(sql: string, args: unknown[] = []): Promise<pg.QueryResult<R>> {
    return this.tx((c) => c.query<R>(sql, args))
  }
}
