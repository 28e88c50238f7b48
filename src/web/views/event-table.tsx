import { count, time } from '../format'
import { href } from '../route'
import type { EventSummary } from '../types'

/** A row: a stored event, or one the live feed announced before its id was known (id null). */
type Row = Omit<EventSummary, 'id'> & { id: string | null; duplicate?: boolean }

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge status-${status}`}>{status.replace('_', ' ')}</span>
}

export const codeOf = (e: Row) => e.code ?? e.failureReason ?? null

/** Where a row opens: its detail, or (no id yet) the search for its messageId. */
const linkOf = (e: Row) =>
  e.id !== null
    ? href(`events/${encodeURIComponent(e.id)}`)
    : e.messageId
      ? href('events', { q: e.messageId })
      : null

/** Events as rows; each opens to its detail. `keys` (one per event) when ids are not unique. */
export function EventTable({ events, keys }: { events: Row[]; keys?: string[] }) {
  if (events.length === 0) return <p>No events match.</p>
  return (
    <div class="table-scroll">
      <table class="events">
        <thead>
          <tr>
            <th scope="col">Received</th>
            <th scope="col">Status</th>
            <th scope="col">Code, reason</th>
            <th scope="col">Event</th>
            <th scope="col">Email</th>
            <th scope="col">Order</th>
            <th scope="col" class="num">
              Qty
            </th>
          </tr>
        </thead>
        <tbody>
          {events.map((e, i) => (
            <tr key={keys?.[i] ?? e.id} data-event-id={e.id ?? undefined} data-status={e.status}>
              <td>{linkOf(e) ? <a href={linkOf(e)!}>{time(e.receivedAt)}</a> : time(e.receivedAt)}</td>
              <td>
                <StatusBadge status={e.status} />
              </td>
              <td>
                <code>{codeOf(e) ?? ''}</code>
                {e.message && <div class="reason">{e.message}</div>}
              </td>
              <td>{e.eventName ?? e.audienceKey ?? ''}</td>
              <td>{e.email ?? ''}</td>
              <td>{e.orderId ?? ''}</td>
              <td class="num">{e.quantity === null || e.quantity === undefined ? '' : count(e.quantity)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
