import type { AttemptRow, StoredEvent } from './storage/storage.js'

/**
 * The points Perkville recorded for a delivered event: the `points` of the transaction it returned
 * (a 201's body, or the transaction found when an uncertain attempt was settled). Null when no
 * answer says it (delivered on a 409, an older record, a body cut short when stored).
 */
export function perkvillePoints(event: Pick<StoredEvent, 'status' | 'attemptLog'>): number | null {
  if (event.status !== 'delivered') return null
  for (let i = event.attemptLog.length - 1; i >= 0; i--) {
    const points = pointsOfAttempt(event.attemptLog[i]!)
    if (points !== null) return points
  }
  return null
}

function pointsOfAttempt(attempt: AttemptRow): number | null {
  if (attempt.response === null) return null
  if (attempt.outcome !== 'delivered' && attempt.outcome !== 'settled_found') return null
  let answer: unknown
  try {
    answer = JSON.parse(attempt.response)
  } catch {
    return null
  }
  // A POST's answer is {status, body}; a lookup's is the transaction itself.
  const o = (answer ?? {}) as { body?: unknown; points?: unknown }
  const transaction = (attempt.outcome === 'delivered' ? o.body : o) as { points?: unknown } | null
  const points = transaction?.points
  return typeof points === 'number' && Number.isFinite(points) ? points : null
}
