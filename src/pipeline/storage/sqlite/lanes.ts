import type Database from 'better-sqlite3'
import type { EventRow } from '../event-rows.js'

export type SqliteRow = EventRow<number>

export const ACTIVE = `status IN ('pending', 'in_flight', 'retrying')`

/**
 * The per-customer queue: one `lanes` row per customer with undelivered events, due when its head
 * (the oldest undelivered event) may be attempted or its lease expires.
 */
export class Lanes {
  private readonly addStmt
  private readonly setStmt
  private readonly deleteStmt
  private readonly headStmt
  private readonly busyStmt
  private readonly byIdStmt

  constructor(db: Database.Database) {
    this.addStmt = db.prepare(
      `INSERT INTO lanes (customer_key, due_at, bulk) VALUES (?, ?, ?) ON CONFLICT (customer_key) DO NOTHING`,
    )
    this.setStmt = db.prepare(`UPDATE lanes SET due_at = ? WHERE customer_key = ?`)
    this.deleteStmt = db.prepare(`DELETE FROM lanes WHERE customer_key = ?`)
    // Pinned to the partial index: the planner would otherwise walk the customer's whole history.
    this.headStmt = db.prepare(
      `SELECT * FROM events INDEXED BY events_queue WHERE customer_key = ? AND ${ACTIVE} ORDER BY seq LIMIT 1`,
    )
    this.busyStmt = db
      .prepare(
        `SELECT 1 FROM events INDEXED BY events_queue WHERE customer_key = ? AND ${ACTIVE} AND status = 'in_flight' LIMIT 1`,
      )
      .pluck()
    this.byIdStmt = db.prepare(`SELECT * FROM events WHERE seq = ?`)
  }

  /** A new lane; `bulk` (a replay's, an import's) is claimed after every due live lane. */
  add(customerKey: string, due: number, bulk = false): void {
    this.addStmt.run(customerKey, due, bulk ? 1 : 0)
  }

  set(customerKey: string, due: number): void {
    this.setStmt.run(due, customerKey)
  }

  remove(customerKey: string): void {
    this.deleteStmt.run(customerKey)
  }

  head(customerKey: string): SqliteRow | undefined {
    return this.headStmt.get(customerKey) as SqliteRow | undefined
  }

  hasInFlight(customerKey: string): boolean {
    return this.busyStmt.get(customerKey) !== undefined
  }

  event(seq: number): SqliteRow | undefined {
    return this.byIdStmt.get(seq) as SqliteRow | undefined
  }

  /** Points the customer's lane at its new head, or removes it when nothing is left. */
  aim(customerKey: string, now: number): void {
    const head = this.head(customerKey)
    if (!head) this.remove(customerKey)
    else if (head.status !== 'in_flight') this.set(customerKey, head.next_attempt_at ?? now)
  }
}
