import { useEffect, useRef, useState } from 'preact/hooks'
import type { EventSummary } from '../types'
import { EventTable } from './event-table'

const KEEP = 200

/** `newer` (newest first) in front of `list`, each id once, at most KEEP rows. */
const merge = (newer: EventSummary[], list: EventSummary[]) => {
  const ids = new Set(newer.map((e) => e.id))
  return [...newer, ...list.filter((e) => !ids.has(e.id))].slice(0, KEEP)
}

/** Events as the service stores or decides them (server-sent events from /admin/live). */
export function LiveView() {
  const [errorsOnly, setErrorsOnly] = useState(false)
  const [paused, setPaused] = useState(false)
  const [events, setEvents] = useState<EventSummary[]>([])
  const [state, setState] = useState<'connecting' | 'open' | 'error'>('connecting')
  const pausedRef = useRef(paused)
  pausedRef.current = paused
  const held = useRef<EventSummary[]>([])
  const [heldCount, setHeldCount] = useState(0)

  useEffect(() => {
    setState('connecting')
    const source = new EventSource(`/admin/live${errorsOnly ? '?errors=1' : ''}`, { withCredentials: true })
    source.onopen = () => setState('open')
    source.onerror = () => setState('error')
    const onEvent = (message: MessageEvent<string>) => {
      let event: EventSummary
      try {
        event = JSON.parse(message.data) as EventSummary
      } catch {
        return
      }
      // An event is shown once, with its latest state (received, then delivered or failed).
      if (pausedRef.current) {
        held.current = [event, ...held.current.filter((e) => e.id !== event.id)]
        setHeldCount(held.current.length)
      } else setEvents((list) => merge([event], list))
    }
    source.addEventListener('event', onEvent)
    source.onmessage = onEvent
    return () => source.close()
  }, [errorsOnly])

  const resume = () => {
    setEvents((list) => merge(held.current, list))
    held.current = []
    setHeldCount(0)
    setPaused(false)
  }
  return (
    <section aria-labelledby="live-title">
      <div class="heading">
        <h1 id="live-title">Live</h1>
        <label class="inline">
          <input
            type="checkbox"
            checked={errorsOnly}
            onChange={(e) => setErrorsOnly((e.target as HTMLInputElement).checked)}
          />{' '}
          Errors only
        </label>
        <button
          type="button"
          class="secondary"
          onClick={() => (paused ? resume() : setPaused(true))}
          aria-pressed={paused}
        >
          {paused ? `Resume (${heldCount} waiting)` : 'Pause'}
        </button>
        <span class="hint" role="status" data-state={state}>
          {state === 'open'
            ? 'Connected'
            : state === 'connecting'
              ? 'Connecting…'
              : 'Disconnected, reconnecting…'}
        </span>
      </div>
      {events.length === 0 ? <p>Waiting for events…</p> : <EventTable events={events} />}
    </section>
  )
}
