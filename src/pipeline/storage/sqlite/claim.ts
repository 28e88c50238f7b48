import type Database from 'better-sqlite3'
import { rowTransaction } from '../event-rows.js'
import type { ClaimedEvent, ClaimResult } from '../storage.js'
import type { Lanes } from './lanes.js'

/** Leases up to `limit` due head-of-lane events (at most one per customer), and tells when the next falls due. */
export function claimOp(
  db: Database.Database,
  lanes: Lanes,
): (limit: number, now: number, leaseMs: number) => ClaimResult {
  // Live lanes first, then bulk ones (replays, imports): each a range of lanes_bulk_due.
  const due = db.prepare(
    `SELECT customer_key FROM lanes WHERE bulk = ? AND due_at <= ? ORDER BY due_at LIMIT ?`,
  )
  const dueLanes = (now: number, limit: number) => {
    const live = due.all(0, now, limit) as Array<{ customer_key: string }>
    return live.length < limit
      ? live.concat(due.all(1, now, limit - live.length) as Array<{ customer_key: string }>)
      : live
  }
  const nextDue = db.prepare(`SELECT MIN(due_at) AS due FROM lanes`).pluck()
  const lease = db.prepare(`UPDATE events SET status = 'in_flight', lease_id = ?, unknown = ? WHERE seq = ?`)
  let nextLease = Math.floor(Math.random() * 2 ** 40)

  return db.transaction((limit: number, now: number, leaseMs: number): ClaimResult => {
    const claimed: ClaimedEvent[] = []
    for (const { customer_key } of dueLanes(now, Math.max(0, limit))) {
      const head = lanes.head(customer_key)
      if (!head) {
        lanes.remove(customer_key)
        continue
      }
      // A lane can be due while its head is not (a side effect changed the head): re-aim it.
      if (head.status !== 'in_flight' && (head.next_attempt_at ?? 0) > now) {
        lanes.set(customer_key, head.next_attempt_at!)
        continue
      }
      // A head still in flight on a due lane means its lease expired: the attempt's fate is unknown.
      const unknown = head.unknown === 1 || head.status === 'in_flight'
      const leaseId = ++nextLease
      lease.run(leaseId, unknown ? 1 : 0, head.seq)
      lanes.set(customer_key, now + leaseMs)
      claimed.push({
        id: String(head.seq),
        leaseId,
        externalId: head.external_id,
        tx: rowTransaction(head),
        receivedAt: head.received_at,
        attempts: head.attempts,
        unknown,
        firstFailedAt: head.first_failed_at,
        settingsVersion: head.settings_version,
        payload: head.payload,
      })
    }
    return { claims: claimed, nextDue: nextDue.get() as number | null }
  })
}
