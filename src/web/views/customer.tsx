import { useEffect, useState } from 'preact/hooks'
import { count, counted } from '../format'
import { go, href } from '../route'
import { Time } from '../time'
import type { CustomerView as Customer } from '../types'
import { useData } from '../use-data'
import { Card } from './card'
import { EventTable } from './event-table'
import { Message } from './message'
import { num, Table } from './table'

export function CustomerView({ email }: { email: string }) {
  const [text, setText] = useState(email)
  useEffect(() => setText(email), [email])
  const customer = useData<Customer>(email ? `/admin/customers/${encodeURIComponent(email)}` : null)
  const c = customer.data
  return (
    <section aria-labelledby="customer-title">
      <h1 id="customer-title">Customer</h1>
      <form
        class="filters"
        aria-label="Find a customer"
        onSubmit={(e) => {
          e.preventDefault()
          go(`customer/${encodeURIComponent(text.trim())}`)
        }}
      >
        <label class="wide">
          Email
          <input type="search" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
        </label>
        <div class="buttons">
          <button type="submit">Show</button>
        </div>
      </form>
      <Message kind="error" text={customer.error} />
      {c && (
        <>
          <div class="cards">
            <Card label="Points awarded" value={count(c.points.awarded)} data-points="awarded" />
            <Card label="Points removed" value={count(c.points.removed)} data-points="removed" />
            <Card
              label="Perkville balance"
              value={'points' in c.balance ? count(c.balance.points) : '–'}
              hint={'unavailable' in c.balance ? c.balance.unavailable : undefined}
            />
          </div>
          <Reconcile customer={c} />
          <p class="hint">
            Points are Perkville's, as it recorded each transaction. What was sent is not points: visits and
            order amounts awarded {count(c.quantities.awarded)}, removed {count(c.quantities.removed)}.
          </p>
          <h2>Orders</h2>
          {c.orders.length === 0 ? (
            <p>No orders.</p>
          ) : (
            <Table
              columns={[
                'Order',
                num('Order amount'),
                num('Amount refunded'),
                num('Points awarded'),
                num('Points removed'),
              ]}
            >
              {c.orders.map((o) => (
                <tr key={o.orderId}>
                  <td>
                    <a href={href('events', { q: o.orderId })}>{o.orderId}</a>
                  </td>
                  <td class="num">{count(o.awarded)}</td>
                  <td class="num">{count(o.refunded)}</td>
                  <td class="num">{count(o.pointsAwarded)}</td>
                  <td class="num">{count(o.pointsRemoved)}</td>
                </tr>
              ))}
            </Table>
          )}
          <h2>Audiences</h2>
          {c.audiences.length === 0 ? (
            <p>No audience entered.</p>
          ) : (
            <ul>
              {c.audiences.map((a) => (
                <li key={`${a.key}-${a.enteredAt}`}>
                  <code>{a.key}</code>: entered <Time iso={a.enteredAt} />
                  {a.exitedAt && (
                    <>
                      , left <Time iso={a.exitedAt} />
                    </>
                  )}
                </li>
              ))}
            </ul>
          )}
          <h2>Events</h2>
          <EventTable events={c.events} />
        </>
      )}
    </section>
  )
}

/** Whether the points delivered from here add up to Perkville's balance, and if not, why not. */
function Reconcile({ customer: c }: { customer: Customer }) {
  const net = c.points.awarded - c.points.removed
  const sum = `${count(c.points.awarded)} − ${count(c.points.removed)} = ${count(net)}`
  if (c.points.unknown > 0)
    return (
      <p class="hint" data-reconciles="unknown">
        {counted(c.points.unknown, 'delivered event')} {c.points.unknown === 1 ? 'has' : 'have'} no points in
        Perkville's answer, so the totals here may be short of the balance.
      </p>
    )
  if (!('points' in c.balance)) return null
  if (c.reconciles)
    return (
      <p class="notice" data-reconciles="yes">
        The balance adds up: points awarded minus removed here, {sum}.
      </p>
    )
  return (
    <p class="hint" data-reconciles="no">
      The balance differs from the points awarded minus removed here ({sum}) by{' '}
      {count(c.balance.points - net)}: points from other sources (another system, or given in Perkville
      itself).
    </p>
  )
}
