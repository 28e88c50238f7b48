import { count } from '../format'
import { href } from '../route'
import { Time } from '../time'
import type { EventSummary } from '../types'
import { operatorWords } from '../words'
import { num, Table } from './table'

/** A row: a stored event, or one the live feed announced before its id was known (id null). */
type Row = Omit<EventSummary, 'id'> & { id: string | null; duplicate?: boolean }

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge status-${status}`}>{status.replace('_', ' ')}</span>
}

/** A cell labelled for the phone layout (one card per event), hidden there when empty. */
function Cell({ label, text, num }: { label: string; text: string | null | undefined; num?: boolean }) {
  return (
    <td data-label={label} class={num ? 'num' : undefined} data-empty={text ? undefined : ''}>
      {text ?? ''}
    </td>
  )
}

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
    <Table
      class="events"
      columns={['Received', 'Status', 'Code, reason', 'Event', 'Email', 'Order', num('Qty')]}
    >
      {events.map((e, i) => (
        <tr key={keys?.[i] ?? e.id} data-event-id={e.id ?? undefined} data-status={e.status}>
          <td data-label="Received">
            {linkOf(e) ? (
              <a href={linkOf(e)!}>
                <Time iso={e.receivedAt} />
              </a>
            ) : (
              <Time iso={e.receivedAt} />
            )}
          </td>
          <td data-label="Status">
            <StatusBadge status={e.status} />
          </td>
          <td data-label="Code, reason" data-empty={e.code || e.message ? undefined : ''}>
            <div>
              <code>{e.code ?? ''}</code>
              {e.message && <div class="reason">{operatorWords(e.message)}</div>}
            </div>
          </td>
          <Cell label="Event" text={e.eventName ?? e.audienceKey} />
          <Cell label="Email" text={e.email} />
          <Cell label="Order" text={e.orderId} />
          <Cell
            label="Qty"
            text={e.quantity === null || e.quantity === undefined ? null : count(e.quantity)}
            num
          />
        </tr>
      ))}
    </Table>
  )
}
