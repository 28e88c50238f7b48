import { count, time } from '../format'
import { href } from '../route'
import type { EventSummary } from '../types'

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge status-${status}`}>{status.replace('_', ' ')}</span>
}

export const codeOf = (e: EventSummary) => e.code ?? e.failureReason ?? null

/** Events as rows; each opens to its detail. */
export function EventTable({ events }: { events: EventSummary[] }) {
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
          {events.map((e) => (
            <tr key={e.id} data-event-id={e.id} data-status={e.status}>
              <td>
                <a href={href(`events/${encodeURIComponent(e.id)}`)}>{time(e.receivedAt)}</a>
              </td>
              <td>
                <StatusBadge status={e.status} />
              </td>
              <td>
                <code>{codeOf(e) ?? ''}</code>
                {e.message && <div class="reason">{e.message}</div>}
              </td>
              <td>{e.eventName ?? e.kind ?? ''}</td>
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
