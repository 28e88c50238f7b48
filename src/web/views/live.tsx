import { useEffect, useRef, useState } from 'preact/hooks'
import type { LiveEvent } from '../../pipeline/service-api.js'
import { addLive, LIVE_KEEP, type LiveRow } from '../live-rows'
import { EventTable } from './event-table'

let lastKey = 0
const nextKey = () => `live-${++lastKey}`

/** Events as the service stores or decides them (server-sent events from /admin/live). */
export function LiveView() {
  const [errorsOnly, setErrorsOnly] = useState(false)
  const [paused, setPaused] = useState(false)
  const [rows, setRows] = useState<LiveRow[]>([])
  const [state, setState] = useState<'connecting' | 'open' | 'error'>('connecting')
  const pausedRef = useRef(paused)
  pausedRef.current = paused
  const held = useRef<LiveEvent[]>([])
  const [heldCount, setHeldCount] = useState(0)

  useEffect(() => {
    setState('connecting')
    const source = new EventSource(`/admin/live${errorsOnly ? '?errors=1' : ''}`, { withCredentials: true })
    source.onopen = () => setState('open')
    source.onerror = () => setState('error')
    const onEvent = (message: MessageEvent<string>) => {
      let event: LiveEvent
      try {
        event = JSON.parse(message.data) as LiveEvent
      } catch {
        return
      }
      // Every event its own row, shown with its latest state (received, then delivered or failed).
      if (pausedRef.current) {
        held.current.push(event)
        // Held for a long pause, the oldest go first: the view shows LIVE_KEEP rows anyway.
        if (held.current.length > 5 * LIVE_KEEP) held.current.shift()
        setHeldCount(held.current.length)
      } else setRows((list) => addLive(list, [event], nextKey))
    }
    source.addEventListener('event', onEvent)
    source.onmessage = onEvent
    return () => source.close()
  }, [errorsOnly])

  const resume = () => {
    const waiting = held.current
    setRows((list) => addLive(list, waiting, nextKey))
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
      {rows.length === 0 ? (
        <p>Waiting for events…</p>
      ) : (
        <EventTable events={rows.map((r) => r.event)} keys={rows.map((r) => r.key)} />
      )}
    </section>
  )
}
