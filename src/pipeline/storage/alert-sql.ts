import { SqlParams } from './event-filter.js'
import type { AlertChange, AlertRow } from './storage.js'

/**
 * The alert record's statements, the same for both stores (only placeholders differ). Each change is
 * one conditional write that at most one instance can win: opening the row (one open row per key),
 * moving `notified_at` from the value read, or setting `resolved_at`. The caller sends a message only
 * for a change that returned a row.
 */

const COLUMNS = `id, alert_key AS key, alert, reason, since_at AS since, fired_at AS "firedAt", event_count AS count,
  notified_at AS "notifiedAt", reminders, seen_at AS "seenAt", seen_by AS "seenBy", resolved_at AS "resolvedAt"`

type Dialect = 'sqlite' | 'postgres'
export interface Statement {
  sql: string
  values: unknown[]
}

export function openAlertsSql(): Statement {
  return { sql: `SELECT ${COLUMNS} FROM alerts WHERE resolved_at IS NULL ORDER BY id`, values: [] }
}

export function alertHistorySql(dialect: Dialect, limit: number): Statement {
  const p = new SqlParams(dialect)
  return { sql: `SELECT ${COLUMNS} FROM alerts ORDER BY id DESC LIMIT ${p.add(limit)}`, values: p.values }
}

/**
 * The statements that record a change, run in order; the last one's row, if it returns one, is the
 * change that won. Resolved alerts older than the retention go when a new one
 * opens: the table stays small.
 */
export function recordAlertSql(dialect: Dialect, change: AlertChange): Statement[] {
  const write = alertChangeSql(dialect, change)
  return change.kind === 'fire' ? [forgetAlertsSql(dialect, change.forgetBefore), write] : [write]
}

function forgetAlertsSql(dialect: Dialect, before: number): Statement {
  const p = new SqlParams(dialect)
  return { sql: `DELETE FROM alerts WHERE resolved_at < ${p.add(before)}`, values: p.values }
}

function alertChangeSql(dialect: Dialect, change: AlertChange): Statement {
  const p = new SqlParams(dialect)
  const sql = (() => {
    switch (change.kind) {
      case 'fire': {
        const values = [
          change.key,
          change.alert,
          change.reason,
          change.since,
          change.at,
          change.count,
          change.at,
          change.at,
          change.by,
        ].map((v) => p.add(v))
        return `INSERT INTO alerts (alert_key, alert, reason, since_at, fired_at, event_count, notified_at, seen_at, seen_by)
          VALUES (${values.join(', ')}) ON CONFLICT (alert_key) WHERE resolved_at IS NULL DO NOTHING RETURNING ${COLUMNS}`
      }
      case 'remind':
        return `UPDATE alerts SET notified_at = ${p.add(change.at)}, reminders = reminders + 1,
            event_count = ${p.add(change.count)}, seen_at = ${p.add(change.at)}, seen_by = ${p.add(change.by)}
          WHERE id = ${p.add(Number(change.id))} AND resolved_at IS NULL AND notified_at = ${p.add(change.notifiedAt)}
          RETURNING ${COLUMNS}`
      case 'seen':
        return `UPDATE alerts SET event_count = ${p.add(change.count)}, seen_at = ${p.add(change.at)}, seen_by = ${p.add(change.by)}
          WHERE id = ${p.add(Number(change.id))} AND resolved_at IS NULL RETURNING ${COLUMNS}`
      case 'resolve':
        return `UPDATE alerts SET resolved_at = ${p.add(change.at)}
          WHERE id = ${p.add(Number(change.id))} AND resolved_at IS NULL
            AND ((seen_by = ${p.add(change.by)} AND seen_at < ${p.add(change.ownQuietBefore)})
              OR seen_at < ${p.add(change.quietBefore)})
          RETURNING ${COLUMNS}`
    }
  })()
  return { sql, values: p.values }
}

/** Parked events now, by reason (the parked partial index: parked events are few). */
export const PARKED_BY_REASON_SQL = `SELECT failure_reason AS reason, COUNT(*) AS count FROM events
  WHERE status = 'parked' GROUP BY failure_reason ORDER BY failure_reason`

/** When the most recently received delivered event was delivered: one step down the status index. */
export const NEWEST_DELIVERY_SQL = `SELECT received_at + latency_ms AS at FROM events
  WHERE status = 'delivered' AND latency_ms IS NOT NULL ORDER BY received_at DESC LIMIT 1`

export function toAlertRow(row: Record<string, unknown>): AlertRow {
  const n = (v: unknown) => (v === null || v === undefined ? null : Number(v))
  return {
    id: String(row.id),
    key: String(row.key),
    alert: String(row.alert),
    reason: String(row.reason),
    since: Number(row.since),
    firedAt: Number(row.firedAt),
    count: Number(row.count),
    notifiedAt: Number(row.notifiedAt),
    reminders: Number(row.reminders),
    seenAt: Number(row.seenAt),
    seenBy: String(row.seenBy),
    resolvedAt: n(row.resolvedAt),
  }
}
