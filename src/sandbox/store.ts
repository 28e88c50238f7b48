/**
 * The sandbox's state in SQLite (WAL when on disk), so a restart keeps every transaction and balance.
 * Synchronous by design: one process, one connection, and each award is one SQLite transaction.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { calendarDay } from './calendar-day.js'
import { pointsFor } from './points.js'
import { DEFAULT_TIMEZONE, type ParsedSeed } from './seed.js'

export interface BusinessRow {
  id: number
  name: string
  timezone: string
}
export interface LocationRow {
  id: number
  business_id: number
  name: string
}
export interface PerkRow {
  id: number
  business_id: number
  title: string
  kind: 'visit' | 'spend'
  points_per_unit: number
}
export interface TransactionRow {
  id: number
  business_id: number
  location_id: number
  perk_id: number
  user_id: number
  email: string
  quantity: number
  points: number
  send_email: number
  trans_source_id: string | null
  transaction_dt: string | null
  created_dt: string
}
export interface ConnectionRow {
  id: number
  business_id: number
  user_id: number
  email: string
  point_balance: number
}

export interface NewTransaction {
  business: number
  location: number
  perk: number
  email: string
  quantity: number
  sendEmail: boolean
  transSourceId: string | null
  transactionDt: string | null
  /** `limit_to_once_per_calendar_day`: refused when the customer had this perk today (business time). */
  oncePerDay: boolean
}

export type InsertResult = { kind: 'created'; row: TransactionRow } | { kind: 'exists'; row: TransactionRow }

export interface Page<T> {
  total: number
  rows: T[]
}

export const DATABASE_FILE = 'sandbox.sqlite'

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS businesses (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, timezone TEXT NOT NULL DEFAULT '${DEFAULT_TIMEZONE}'
);
CREATE TABLE IF NOT EXISTS locations (id INTEGER PRIMARY KEY, business_id INTEGER NOT NULL, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS perks (
  id INTEGER PRIMARY KEY, business_id INTEGER NOT NULL, title TEXT NOT NULL,
  kind TEXT NOT NULL, points_per_unit REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS connections (
  id INTEGER PRIMARY KEY AUTOINCREMENT, business_id INTEGER NOT NULL, user_id INTEGER NOT NULL,
  point_balance INTEGER NOT NULL DEFAULT 0, UNIQUE (business_id, user_id)
);
CREATE TABLE IF NOT EXISTS transactions (
  id INTEGER PRIMARY KEY AUTOINCREMENT, business_id INTEGER NOT NULL, location_id INTEGER NOT NULL,
  perk_id INTEGER NOT NULL, user_id INTEGER NOT NULL, email TEXT NOT NULL, quantity REAL NOT NULL,
  points INTEGER NOT NULL, send_email INTEGER NOT NULL, trans_source_id TEXT, transaction_dt TEXT,
  created_dt TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS transactions_email ON transactions (business_id, email);
CREATE INDEX IF NOT EXISTS transactions_source ON transactions (business_id, trans_source_id);
`

/**
 * A data dir from before the key was `trans_source_id` has an `external_id` column with a UNIQUE
 * constraint (which `--no-dedup` must be able to break): rebuilt once, every row kept.
 */
const UPGRADE_TRANSACTIONS = `
ALTER TABLE transactions RENAME TO transactions_old;
CREATE TABLE transactions (
  id INTEGER PRIMARY KEY AUTOINCREMENT, business_id INTEGER NOT NULL, location_id INTEGER NOT NULL,
  perk_id INTEGER NOT NULL, user_id INTEGER NOT NULL, email TEXT NOT NULL, quantity REAL NOT NULL,
  points INTEGER NOT NULL, send_email INTEGER NOT NULL, trans_source_id TEXT, transaction_dt TEXT,
  created_dt TEXT NOT NULL
);
INSERT INTO transactions SELECT id, business_id, location_id, perk_id, user_id, email, quantity, points,
  send_email, external_id, transaction_dt, created_dt FROM transactions_old;
DROP TABLE transactions_old;
`

export class SandboxStore {
  private readonly db: Database.Database
  // Preparing is most of a small query's cost; the SQL shapes here are few and fixed, so keep them all.
  private readonly statements = new Map<string, Database.Statement>()

  constructor(
    location: { dataDir: string } | { memory: true },
    private readonly seed: ParsedSeed,
    /** The sandbox's clock: when a transaction is recorded, and so which calendar day it counts on. */
    private readonly now: () => number = Date.now,
  ) {
    if ('dataDir' in location) {
      mkdirSync(location.dataDir, { recursive: true })
      this.db = new Database(join(location.dataDir, DATABASE_FILE))
      this.db.pragma('journal_mode = WAL')
      // A killed sandbox keeps every answered commit (WAL in the OS cache); only power loss could drop one.
      this.db.pragma('synchronous = NORMAL')
    } else {
      this.db = new Database(':memory:')
    }
    const txColumns = this.db.prepare(`SELECT name FROM pragma_table_info('transactions')`).pluck().all()
    if (txColumns.includes('external_id')) this.db.transaction(() => this.db.exec(UPGRADE_TRANSACTIONS))()
    this.db.exec(SCHEMA)
    // A data directory made before businesses had a time zone gets the column (and the default).
    const businessColumns = this.db.prepare('PRAGMA table_info(businesses)').all() as Array<{ name: string }>
    if (!businessColumns.some((c) => c.name === 'timezone')) {
      this.db.exec(`ALTER TABLE businesses ADD COLUMN timezone TEXT NOT NULL DEFAULT '${DEFAULT_TIMEZONE}'`)
    }
    const seeded = this.sql('SELECT value FROM meta WHERE key = ?').get('seeded')
    if (!seeded) this.reset()
  }

  /** Empties every table and loads the seed again. */
  reset(): void {
    this.db.transaction(() => {
      for (const table of [
        'transactions',
        'connections',
        'users',
        'perks',
        'locations',
        'businesses',
        'meta',
      ]) {
        this.sql(`DELETE FROM ${table}`).run()
      }
      this.sql(`DELETE FROM sqlite_sequence`).run()
      const business = this.sql('INSERT INTO businesses (id, name, timezone) VALUES (?, ?, ?)')
      const location = this.sql('INSERT INTO locations (id, business_id, name) VALUES (?, ?, ?)')
      const perk = this.sql(
        'INSERT INTO perks (id, business_id, title, kind, points_per_unit) VALUES (?, ?, ?, ?, ?)',
      )
      for (const b of this.seed.businesses) {
        business.run(b.id, b.name, b.timezone)
        for (const l of b.locations) location.run(l.id, b.id, l.name)
        for (const p of b.perks) perk.run(p.id, b.id, p.title, p.kind, p.pointsPerUnit)
      }
      this.sql('INSERT INTO meta (key, value) VALUES (?, ?)').run('seeded', new Date().toISOString())
    })()
  }

  close(): void {
    this.statements.clear()
    this.db.close()
  }

  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text)
    if (statement === undefined) {
      statement = this.db.prepare(text)
      this.statements.set(text, statement)
    }
    return statement
  }

  /** One statement for the modules that keep their own table here (issued tokens). */
  run(text: string, ...params: unknown[]): void {
    this.sql(text).run(...params)
  }

  get(text: string, ...params: unknown[]): unknown {
    return this.sql(text).get(...params)
  }

  business(id: number): BusinessRow | undefined {
    return this.sql('SELECT id, name, timezone FROM businesses WHERE id = ?').get(id) as
      | BusinessRow
      | undefined
  }

  /**
   * Whether the customer was already awarded this perk (a positive quantity) on today's calendar
   * day in the business's time zone, by the sandbox's clock.
   */
  awardedToday(tx: Pick<NewTransaction, 'business' | 'perk' | 'email'>, timeZone: string): boolean {
    const now = this.now()
    const today = calendarDay(now, timeZone)
    // No calendar day is longer than 26 hours; the rows since then are few and checked one by one.
    const since = new Date(now - 2 * 86_400_000).toISOString()
    const rows = this.sql(
      `SELECT created_dt FROM transactions
        WHERE business_id = ? AND email = ? AND perk_id = ? AND quantity > 0 AND created_dt >= ?`,
    ).all(tx.business, normaliseEmail(tx.email), tx.perk, since) as Array<{ created_dt: string }>
    return rows.some((r) => calendarDay(Date.parse(r.created_dt), timeZone) === today)
  }

  location(id: number): LocationRow | undefined {
    return this.sql('SELECT * FROM locations WHERE id = ?').get(id) as LocationRow | undefined
  }

  perk(id: number): PerkRow | undefined {
    return this.sql('SELECT * FROM perks WHERE id = ?').get(id) as PerkRow | undefined
  }

  locations(businessId: number | null, limit: number, offset: number): Page<LocationRow> {
    return this.page('locations', businessId === null ? {} : { business_id: businessId }, limit, offset)
  }

  perks(businessId: number | null, limit: number, offset: number): Page<PerkRow> {
    return this.page('perks', businessId === null ? {} : { business_id: businessId }, limit, offset)
  }

  transactions(
    filter: { business?: number; transSourceId?: string },
    limit: number,
    offset: number,
  ): Page<TransactionRow> {
    const where: Record<string, string | number> = {}
    if (filter.business !== undefined) where.business_id = filter.business
    if (filter.transSourceId !== undefined) where.trans_source_id = filter.transSourceId
    return this.page('transactions', where, limit, offset)
  }

  allTransactions(): TransactionRow[] {
    return this.sql('SELECT * FROM transactions ORDER BY id').all() as TransactionRow[]
  }

  transactionCount(): number {
    return (this.sql('SELECT COUNT(*) AS n FROM transactions').get() as { n: number }).n
  }

  connections(
    filter: { business?: number; email?: string },
    limit: number,
    offset: number,
  ): Page<ConnectionRow> {
    const clauses: string[] = []
    const params: (string | number)[] = []
    if (filter.business !== undefined) {
      clauses.push('c.business_id = ?')
      params.push(filter.business)
    }
    if (filter.email !== undefined) {
      clauses.push('u.email = ?')
      params.push(normaliseEmail(filter.email))
    }
    const where = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : ''
    const from = `FROM connections c JOIN users u ON u.id = c.user_id ${where}`
    const total = (this.sql(`SELECT COUNT(*) AS n ${from}`).get(...params) as { n: number }).n
    const rows = this.db
      .prepare(
        `SELECT c.id, c.business_id, c.user_id, u.email, c.point_balance ${from} ORDER BY c.id LIMIT ? OFFSET ?`,
      )
      .all(...params, limit, offset) as ConnectionRow[]
    return { total, rows }
  }

  /**
   * Records a transaction and moves the customer's balance, atomically; with `dedup`, a reused
   * trans_source_id answers the transaction already recorded. The customer comes into being with the first one.
   */
  insertTransaction(tx: NewTransaction, perk: PerkRow, dedup = true): InsertResult {
    return this.db.transaction((): InsertResult => {
      if (dedup && tx.transSourceId !== null) {
        const existing = this.sql(
          'SELECT * FROM transactions WHERE business_id = ? AND trans_source_id = ? ORDER BY id LIMIT 1',
        ).get(tx.business, tx.transSourceId) as TransactionRow | undefined
        if (existing) return { kind: 'exists', row: existing }
      }
      const email = normaliseEmail(tx.email)
      this.sql('INSERT OR IGNORE INTO users (email) VALUES (?)').run(email)
      const user = this.sql('SELECT id FROM users WHERE email = ?').get(email) as { id: number }
      const points = pointsFor({ kind: perk.kind, pointsPerUnit: perk.points_per_unit }, tx.quantity)
      this.sql('INSERT OR IGNORE INTO connections (business_id, user_id) VALUES (?, ?)').run(
        tx.business,
        user.id,
      )
      this.sql(
        'UPDATE connections SET point_balance = point_balance + ? WHERE business_id = ? AND user_id = ?',
      ).run(points, tx.business, user.id)
      const info = this.sql(
        `INSERT INTO transactions (business_id, location_id, perk_id, user_id, email, quantity, points,
             send_email, trans_source_id, transaction_dt, created_dt)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        tx.business,
        tx.location,
        tx.perk,
        user.id,
        email,
        tx.quantity,
        points,
        tx.sendEmail ? 1 : 0,
        tx.transSourceId,
        tx.transactionDt,
        new Date(this.now()).toISOString(),
      )
      const row = this.sql('SELECT * FROM transactions WHERE id = ?').get(info.lastInsertRowid)
      return { kind: 'created', row: row as TransactionRow }
    })()
  }

  private page<T>(
    table: string,
    where: Record<string, string | number>,
    limit: number,
    offset: number,
  ): Page<T> {
    const keys = Object.keys(where)
    const clause = keys.length > 0 ? `WHERE ${keys.map((k) => `${k} = ?`).join(' AND ')}` : ''
    const params = Object.values(where)
    const total = (this.sql(`SELECT COUNT(*) AS n FROM ${table} ${clause}`).get(...params) as { n: number }).n
    const rows = this.db
      .prepare(`SELECT * FROM ${table} ${clause} ORDER BY id LIMIT ? OFFSET ?`)
      .all(...params, limit, offset) as T[]
    return { total, rows }
  }
}

/** Perkville treats email addresses case-insensitively; the sandbox keys customers on the lowered address. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase()
}
