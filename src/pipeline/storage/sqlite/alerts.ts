import Database from 'better-sqlite3'
import {
  alertHistorySql,
  NEWEST_DELIVERY_SQL,
  openAlertsSql,
  PARKED_BY_REASON_SQL,
  recordAlertSql,
  toAlertRow,
} from '../alert-sql.js'
import type { AlertChange, AlertRow } from '../storage.js'
import { migrateSqlite } from './migrate.js'

/** The alert record and the two facts the alert monitor reads beyond the overview's counts. */
export function alertOps(db: Database.Database) {
  const parked = db.prepare(PARKED_BY_REASON_SQL)
  const newest = db.prepare(NEWEST_DELIVERY_SQL).pluck()
  const open = openAlertsSql()
  const openStmt = db.prepare(open.sql)
  const rows = (list: unknown[]) => list.map((r) => toAlertRow(r as Record<string, unknown>))
  const record = db.transaction((change: AlertChange): AlertRow | null => {
    let row: unknown
    for (const s of recordAlertSql('sqlite', change)) {
      const stmt = db.prepare(s.sql)
      // Only the change returns its row; the forgetting before it does not.
      if (stmt.reader) row = stmt.get(...s.values)
      else stmt.run(...s.values)
    }
    return row === undefined ? null : toAlertRow(row as Record<string, unknown>)
  })
  return {
    parkedByReason: () => parked.all() as Array<{ reason: string; count: number }>,
    newestDelivery: () => (newest.get() as number | null | undefined) ?? null,
    openAlerts: (): AlertRow[] => rows(openStmt.all()),
    alertHistory(limit: number): AlertRow[] {
      const s = alertHistorySql('sqlite', limit)
      return rows(db.prepare(s.sql).all(...s.values))
    },
    recordAlert: (change: AlertChange): AlertRow | null => record(change),
  }
}

/**
 * The alert record in a private in-memory database, for the alerts about the store itself (they
 * cannot be recorded in it): the same statements, so the same claim rules.
 */
export function memoryAlertRecord() {
  const db = new Database(':memory:')
  migrateSqlite(db)
  const ops = alertOps(db)
  return {
    openAlerts: async () => ops.openAlerts(),
    recordAlert: async (change: AlertChange) => ops.recordAlert(change),
    alertHistory: async (limit: number) => ops.alertHistory(limit),
  }
}
