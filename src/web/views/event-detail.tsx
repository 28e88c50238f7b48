import { api } from '../api'
import { Confirm, useConfirmed } from '../confirm'
import { count, duration, json } from '../format'
import { href } from '../route'
import { Time } from '../time'
import type { EventDetail, SettingsView } from '../types'
import { useData } from '../use-data'
import { operatorWords } from '../words'
import { DidYouMean } from './errors'
import { StatusBadge } from './event-table'
import { Message } from './message'

export function EventDetailView({ id }: { id: string }) {
  const event = useData<EventDetail>(`/admin/events/${encodeURIComponent(id)}`)
  const settings = useData<SettingsView>('/admin/settings')
  const mapped = Object.keys(settings.data?.settings.eventToPerkMap ?? {})
  const e = event.data
  const retry = useConfirmed(
    { title: 'Retry this event?', confirmLabel: 'Retry' },
    async () => {
      await api(`/admin/events/${encodeURIComponent(id)}/retry`, { method: 'POST' })
      return 'Queued again: it will be delivered with the settings in force.'
    },
    event.reload,
  )
  return (
    <section aria-labelledby="event-title">
      <p>
        <a href={href('events')}>← Events</a>
      </p>
      <h1 id="event-title">Event {id}</h1>
      <Message kind="error" text={event.error} />
      <Message kind="notice" text={retry.notice} />
      <Message kind="error" text={retry.error} />
      {e && (
        <>
          <dl class="facts">
            <dt>Status</dt>
            <dd>
              <StatusBadge status={e.status} /> {e.code && <code>{e.code}</code>}
            </dd>
            {/* Why it is in its state: a delivered event's earlier trouble is history (the timeline has it). */}
            {e.message && e.status !== 'delivered' && (
              <>
                <dt>Why</dt>
                <dd>
                  {operatorWords(e.message)}
                  <DidYouMean code={e.code ?? ''} name={e.eventName} mapped={mapped} />
                </dd>
              </>
            )}
            <dt>Received</dt>
            <dd>
              <Time iso={e.receivedAt} />
            </dd>
            <dt>Email</dt>
            <dd>{e.email ? <a href={href(`customer/${encodeURIComponent(e.email)}`)}>{e.email}</a> : '–'}</dd>
            <dt>Event</dt>
            <dd>{e.eventName ?? '–'}</dd>
            <dt>Kind</dt>
            <dd>{e.kind ?? '–'}</dd>
            <dt>Order id</dt>
            <dd>{e.orderId ?? '–'}</dd>
            <dt>messageId</dt>
            <dd>{e.messageId ?? '–'}</dd>
            <dt>userId</dt>
            <dd data-user-id>{e.userId ?? '–'}</dd>
            <dt>anonymousId</dt>
            <dd data-anonymous-id>{e.anonymousId ?? '–'}</dd>
            <dt>Perk, quantity sent</dt>
            <dd>{e.perkId ? `${e.perkId}, ${e.quantity}` : '–'}</dd>
            {e.status === 'delivered' && (
              <>
                <dt>Perkville points</dt>
                <dd data-points>{e.points === null ? "not in Perkville's answer" : count(e.points)}</dd>
              </>
            )}
            {e.audienceKey && (
              <>
                <dt>Audience</dt>
                <dd>{e.audienceKey}</dd>
              </>
            )}
            {e.writeKeySource && (
              <>
                <dt>Source</dt>
                <dd>{e.writeKeySource}</dd>
              </>
            )}
            {e.lastError && e.lastError !== e.message && e.status !== 'delivered' && (
              <>
                <dt>Last error</dt>
                <dd>{operatorWords(e.lastError)}</dd>
              </>
            )}
          </dl>
          {(e.status === 'failed' || e.status === 'parked') && (
            <button type="button" onClick={retry.ask}>
              Retry this event…
            </button>
          )}
          {e.timeline && e.timeline.length > 0 && (
            <>
              <h2>Timeline</h2>
              <ol class="timeline">
                {e.timeline.map((t, i) => (
                  <li key={i}>
                    <Time iso={t.at} /> {t.what}
                  </li>
                ))}
              </ol>
            </>
          )}
          <h2>Decisions</h2>
          {e.decisions && e.decisions.length > 0 ? (
            <ol class="decisions">
              {e.decisions.map((d, i) => (
                <li key={i} data-outcome={d.outcome}>
                  <p>
                    <Time iso={d.at} /> <strong>{d.outcome}</strong>
                    {d.code && <code> {d.code}</code>}
                    {d.settingsVersion !== undefined &&
                      d.settingsVersion !== null &&
                      ` (settings v${d.settingsVersion})`}
                    {d.message && ` — ${d.message}`}
                  </p>
                  {d.transaction !== null && d.transaction !== undefined && (
                    <Block title="Transaction" value={d.transaction} />
                  )}
                </li>
              ))}
            </ol>
          ) : (
            <p>No decision recorded.</p>
          )}
          <h2>Attempts</h2>
          {e.attemptLog.length === 0 ? (
            <p>No delivery attempt (yet).</p>
          ) : (
            <ol class="attempts">
              {e.attemptLog.map((a, i) => (
                <li key={i} class="attempt">
                  <p>
                    <Time iso={a.at} /> <strong>{a.outcome}</strong> in {duration(a.durationMs)}
                    {a.error && ` — ${a.error}`}
                  </p>
                  <Block title="Request (token redacted)" value={a.request} />
                  <Block title="Perkville's response" value={a.response} />
                </li>
              ))}
            </ol>
          )}
          <h2>Received payload</h2>
          <pre class="json">{json(e.payload)}</pre>
        </>
      )}
      <Confirm {...retry.question}>
        <p>It is queued again and delivered with the settings in force (at most once per order and perk).</p>
      </Confirm>
    </section>
  )
}

function Block({ title, value }: { title: string; value: unknown }) {
  return (
    <details open class="block">
      <summary>{title}</summary>
      <pre class="json">{json(value)}</pre>
    </details>
  )
}
