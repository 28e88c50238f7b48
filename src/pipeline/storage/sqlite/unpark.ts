import type Database from 'better-sqlite3'
import type { Lanes } from './lanes.js'

/**
 * A settings change takes every parked event back into the queue: pending, due now, and decided
 * again under the new settings when claimed (their settings version is older).
 */
export function unparkOp(db: Database.Database, lanes: Lanes): (now: number, before: number) => number {
  const owners = db.prepare(
    `SELECT DISTINCT customer_key FROM events INDEXED BY events_parked WHERE status = 'parked' AND settings_version < ?`,
  )
  const requeue = db.prepare(
    `UPDATE events INDEXED BY events_parked SET status = 'pending', next_attempt_at = ?, failure_reason = NULL
     WHERE status = 'parked' AND settings_version < ?`,
  )
  return db.transaction((now: number, before: number): number => {
    const customers = owners.all(before) as Array<{ customer_key: string }>
    const n = requeue.run(now, before).changes
    for (const { customer_key } of customers) {
      lanes.add(customer_key, now)
      // A lane leased by an event in flight keeps its lease: that completion re-aims it.
      if (!lanes.hasInFlight(customer_key)) lanes.aim(customer_key, now)
    }
    return n
  })
}
