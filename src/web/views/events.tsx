import { useEffect, useRef, useState } from 'preact/hooks'
import { api, query } from '../api'
import { Confirm } from '../confirm'
import { counted } from '../format'
import { go } from '../route'
import { type EventSummary, STATUSES } from '../types'
import { AwardRefused } from './award-refused'
import { EventTable } from './event-table'
import { Message } from './message'

const FILTERS = ['q', 'status', 'code', 'kind', 'from', 'to'] as const
const KINDS = ['event', 'spend', 'refund', 'audience']

const toLocalInput = (ms: string | undefined) => {
  if (!ms || !/^\d+$/.test(ms)) return ''
  const d = new Date(Number(ms))
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16)
}
const fromLocalInput = (text: string) => (text ? String(new Date(text).getTime()) : '')
/** The zone the From and To inputs are read in: the browser's. */
const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone
/** What the search box finds an event by: each is matched exactly (an email in any case). */
const SEARCH_HINT = 'Email, order id, messageId, userId or anonymousId'

/** A filter that is one of a few values, or any. */
function Choice(props: {
  label: string
  name: string
  value: string
  options: readonly string[]
  show?: (value: string) => string
  onChange: (e: Event) => void
}) {
  return (
    <label>
      {props.label}
      <select name={props.name} value={props.value} onChange={props.onChange}>
        <option value="">any</option>
        {props.options.map((o) => (
          <option key={o} value={o}>
            {props.show ? props.show(o) : o}
          </option>
        ))}
      </select>
    </label>
  )
}

/** A time filter, shown and typed in the browser's zone, kept as epoch milliseconds. */
function TimeInput(props: { label: string; value: string; onChange: (ms: string) => void }) {
  return (
    <label>
      {props.label} ({ZONE})
      <input
        type="datetime-local"
        value={toLocalInput(props.value)}
        onInput={(e) => props.onChange(fromLocalInput((e.target as HTMLInputElement).value))}
      />
    </label>
  )
}

export function EventsView({ params }: { params: Record<string, string> }) {
  const filters = Object.fromEntries(FILTERS.map((k) => [k, params[k] ?? ''])) as Record<
    (typeof FILTERS)[number],
    string
  >
  const [form, setForm] = useState(filters)
  const [events, setEvents] = useState<EventSummary[] | null>(null)
  const [cursor, setCursor] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [replay, setReplay] = useState<{ count: number } | null>(null)
  const [notice, setNotice] = useState<string | null>(null)
  const key = FILTERS.map((k) => filters[k]).join('\u0000')

  // Only the answer to the newest search is shown (an older one may arrive after it).
  const latest = useRef('')
  const load = async (after: string | null) => {
    setError(null)
    const path = `/admin/events${query({ ...filters, limit: 50, cursor: after })}`
    latest.current = path
    try {
      const answer = await api<{ events: EventSummary[]; nextCursor: string | null }>(path)
      if (latest.current !== path) return
      setEvents((prev) => (after && prev ? [...prev, ...answer.events] : answer.events))
      setCursor(answer.nextCursor)
    } catch (err) {
      if (latest.current === path) setError((err as Error).message)
    }
  }
  useEffect(() => {
    setForm(filters)
    setEvents(null)
    setNotice(null)
    void load(null)
  }, [key])

  const submit = (e: Event) => {
    e.preventDefault()
    go('events', form)
  }
  const set = (name: keyof typeof form) => (e: Event) =>
    setForm({ ...form, [name]: (e.target as HTMLInputElement).value })
  const replayFilters = () => ({
    q: filters.q,
    code: filters.code,
    kind: filters.kind,
    from: filters.from,
    to: filters.to,
  })

  const askReplay = async () => {
    setNotice(null)
    try {
      setReplay(await api<{ count: number }>(`/admin/replay/preview${query(replayFilters())}`))
    } catch (err) {
      setError((err as Error).message)
    }
  }
  const doReplay = async () => {
    setReplay(null)
    try {
      const f = replayFilters()
      // The replay names its range; without one in the filter, everything received until now (as previewed).
      const body = {
        ...Object.fromEntries(Object.entries(f).filter(([k, v]) => v !== '' && k !== 'from' && k !== 'to')),
        from: f.from ? Number(f.from) : 0,
        to: f.to ? Number(f.to) : Date.now(),
      }
      const answer = await api<{ replayed: number }>('/admin/replay', { method: 'POST', body })
      setNotice(`${counted(answer.replayed, 'failed event')} queued again.`)
      void load(null)
    } catch (err) {
      setError((err as Error).message)
    }
  }

  return (
    <section aria-labelledby="events-title">
      <h1 id="events-title">Events</h1>
      <form class="filters" onSubmit={submit} aria-label="Search events">
        <label class="wide">
          {SEARCH_HINT}
          <input type="search" name="q" value={form.q} onInput={set('q')} placeholder="jane@example.com" />
        </label>
        <Choice
          label="Status"
          name="status"
          value={form.status}
          options={STATUSES}
          show={(s) => s.replace('_', ' ')}
          onChange={set('status')}
        />
        <label>
          Code
          <input name="code" value={form.code} onInput={set('code')} placeholder="MISSING_EMAIL" />
        </label>
        <Choice label="Kind" name="kind" value={form.kind} options={KINDS} onChange={set('kind')} />
        <TimeInput label="From" value={form.from} onChange={(from) => setForm({ ...form, from })} />
        <TimeInput label="To" value={form.to} onChange={(to) => setForm({ ...form, to })} />
        <div class="buttons">
          <button type="submit">Search</button>
          <button type="button" class="secondary" onClick={() => go('events')}>
            Clear
          </button>
          <button type="button" class="secondary" onClick={askReplay}>
            Replay failed…
          </button>
        </div>
      </form>
      {(filters.status === '' || filters.status === 'rejected') && (
        <AwardRefused
          filter={{ q: filters.q, code: filters.code, from: filters.from, to: filters.to }}
          onDone={() => void load(null)}
        />
      )}
      <Message kind="notice" text={notice} />
      <Message kind="error" text={error} />
      {events && <EventTable events={events} />}
      {cursor && (
        <button type="button" class="secondary" onClick={() => void load(cursor)}>
          Load more
        </button>
      )}
      <Confirm
        open={replay !== null}
        title="Replay failed events"
        confirmLabel={`Replay ${replay?.count ?? 0}`}
        onConfirm={doReplay}
        onCancel={() => setReplay(null)}
      >
        <p>
          {replay?.count === 0
            ? 'No failed event matches this filter: nothing would be replayed.'
            : `${counted(replay?.count ?? 0, 'failed event')} ${replay?.count === 1 ? 'matches' : 'match'} this filter. They will be queued again and delivered with the settings in force.`}
        </p>
      </Confirm>
    </section>
  )
}
