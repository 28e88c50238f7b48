import * as alertSql from '../alert-sql.js'
import type { AlertChange, AlertRow } from '../storage.js'
import type { PgDb } from './db.js'

/** The alert record and the two facts the alert monitor reads beyond the overview's counts. */

export async function parkedByReason(db: PgDb): Promise<Array<{ reason: string; count: number }>> {
  const res = await db.query<{ reason: string; count: number }>(alertSql.PARKED_BY_REASON_SQL)
  return res.rows.map((r) => ({ reason: r.reason, count: Number(r.count) }))
}

export async function newestDelivery(db: PgDb): Promise<number | null> {
  const res = await db.query<{ at: number | null }>(alertSql.NEWEST_DELIVERY_SQL)
  const at = res.rows[0]?.at
  return at === null || at === undefined ? null : Number(at)
}

export async function openAlerts(db: PgDb): Promise<AlertRow[]> {
  const s = alertSql.openAlertsSql()
  return (await db.query(s.sql, s.values)).rows.map(alertSql.toAlertRow)
}

export async function alertHistory(db: PgDb, limit: number): Promise<AlertRow[]> {
  const s = alertSql.alertHistorySql('postgres', limit)
  return (await db.query(s.sql, s.values)).rows.map(alertSql.toAlertRow)
}

/** One statement each: the partial unique index and the conditions in the WHERE make it a claim. */
export async function recordAlert(db: PgDb, change: AlertChange): Promise<AlertRow | null> {
  let row: Record<string, unknown> | undefined
  for (const s of alertSql.recordAlertSql('postgres', change))
    row = (await db.statement(s.sql, s.values)).rows[0]
  return row === undefined ? null : alertSql.toAlertRow(row)
}
