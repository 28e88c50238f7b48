import { useEffect, useState } from 'preact/hooks'
import { count, time } from '../format'
import { go, href } from '../route'
import type { CustomerView as Customer } from '../types'
import { useData } from '../use-data'
import { EventTable } from './event-table'
import { Message } from './message'

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
            <div class="card">
              <span class="card-label">Points awarded</span>
              <span class="card-value">{count(c.points.awarded)}</span>
            </div>
            <div class="card">
              <span class="card-label">Points removed</span>
              <span class="card-value">{count(c.points.removed)}</span>
            </div>
            <div class="card">
              <span class="card-label">Perkville balance</span>
              <span class="card-value">{'points' in c.balance ? count(c.balance.points) : '–'}</span>
              {'unavailable' in c.balance && <span class="hint">{c.balance.unavailable}</span>}
            </div>
          </div>
          <h2>Orders</h2>
          {c.orders.length === 0 ? (
            <p>No orders.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Order</th>
                  <th scope="col" class="num">
                    Awarded
                  </th>
                  <th scope="col" class="num">
                    Refunded
                  </th>
                </tr>
              </thead>
              <tbody>
                {c.orders.map((o) => (
                  <tr key={o.orderId}>
                    <td>
                      <a href={href('events', { q: o.orderId })}>{o.orderId}</a>
                    </td>
                    <td class="num">{count(o.awarded)}</td>
                    <td class="num">{count(o.refunded)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h2>Audiences</h2>
          {c.audiences.length === 0 ? (
            <p>No audience entered.</p>
          ) : (
            <ul>
              {c.audiences.map((a) => (
                <li key={`${a.key}-${a.enteredAt}`}>
                  <code>{a.key}</code>: entered {time(a.enteredAt)}
                  {a.exitedAt && `, left ${time(a.exitedAt)}`}
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
