import type pg from 'pg'

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

/** The pool, and the three ways the operations use it: a transaction, one statement, one query. */
export class PgDb {
  constructor(
    readonly pool: pg.Pool,
    /** `NOTIFY …` for transactions of a `notifying` view; shared state (closed) across views. */
    private readonly shared: { closed: boolean; notifySql: string | null } = {
      closed: false,
      notifySql: null,
    },
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
        await c.query('BEGIN')
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
        if (retryable(err, attempt)) continue
        throw err
      } finally {
        c.release(broken)
      }
    }
  }

  /** One statement outside a transaction, run again when PostgreSQL broke a deadlock. */
  async statement<R extends pg.QueryResultRow>(sql: string, args: unknown[]): Promise<pg.QueryResult<R>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.query<R>(sql, args)
      } catch (err) {
        if (retryable(err, attempt)) continue
        throw err
      }
    }
  }

  query<R extends pg.QueryResultRow>(sql: string, args: unknown[] = []): Promise<pg.QueryResult<R>> {
    if (this.closed) return Promise.reject(new Error('storage is closed'))
    return this.pool.query<R>(sql, args)
  }
}
