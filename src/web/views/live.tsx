import { useEffect, useRef, useState } from 'preact/hooks'
import type { EventSummary } from '../types'
import { EventTable } from './event-table'

const KEEP = 200

/** Events as the service stores or decides them (server-sent events from /admin/live). */
export function LiveView() {
  const [errorsOnly, setErrorsOnly] = useState(false)
  const [paused, setPaused] = useState(false)
  const [events, setEvents] = useState<EventSummary[]>([])
  const [state, setState] = useState<'connecting' | 'open' | 'error'>('connecting')
  const pausedRef = useRef(paused)
  pausedRef.current = paused
  const held = useRef<EventSummary[]>([])

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
      if (pausedRef.current) held.current.unshift(event)
      else setEvents((list) => [event, ...list].slice(0, KEEP))
    }
    source.addEventListener('event', onEvent)
    source.onmessage = onEvent
    return () => source.close()
  }, [errorsOnly])

  const resume = () => {
    setEvents((list) => [...held.current, ...list].slice(0, KEEP))
    held.current = []
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
          {paused ? `Resume (${held.current.length} waiting)` : 'Pause'}
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
