import { useState } from 'preact/hooks'
import { api } from '../api'
import { duration, time } from '../format'
import { href } from '../route'
import { useData } from '../use-data'
import { Message } from './message'
import { num, Table } from './table'

/** GET /admin/alerts as the page reads it (src/server/plugins/admin-alerts.ts). */
interface AlertsAnswer {
  /** Labels only: a webhook's secret path and the SMTP login are never in them. */
  destinations: string[]
  intervalMs: number
  thresholds: Record<string, number | boolean>
  alerts: Array<{
    id: string
    alert: string
    key: string
    reason: string
    state: 'firing' | 'resolved'
    since: string
    firedAt: string
    resolvedAt: string | null
    count: number
    reminders: number
  }>
}

/** What fired, since when, and when it cleared; newest first. */
export function AlertsView() {
  const answer = useData<AlertsAnswer>('/admin/alerts', 15_000)
  const alerts = answer.data?.alerts ?? []
  return (
    <section aria-labelledby="alerts-title">
      <h1 id="alerts-title">Alerts</h1>
      <Message kind="error" text={answer.error} />
      <p class="hint">
        Where they go and a test message: <a href={href('settings')}>Settings</a>.
      </p>
      {answer.data && alerts.length === 0 && <p>Nothing has fired.</p>}
      {alerts.length > 0 && (
        <Table
          class="alerts"
          columns={['Alert', 'Reason', 'State', 'Since', 'Fired', 'Cleared', num('How many')]}
        >
          {alerts.map((a) => (
            <tr key={a.id} data-alert={a.key} data-state={a.state}>
              <td>{a.alert}</td>
              <td>{a.reason}</td>
              <td>
                <span class={`badge ${a.state === 'firing' ? 'failure' : 'status-delivered'}`}>
                  {a.state}
                </span>
                {a.reminders > 0 && ` (reminded ${a.reminders}×)`}
              </td>
              <td>{time(a.since)}</td>
              <td>{time(a.firedAt)}</td>
              <td>{a.resolvedAt ? time(a.resolvedAt) : '–'}</td>
              <td class="num">{a.count}</td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  )
}

/** The Settings view's part: where alerts go (redacted) and a test message to each. */
export function AlertDestinations() {
  const answer = useData<AlertsAnswer>('/admin/alerts?limit=1')
  const [results, setResults] = useState<Array<{
    destination: string
    ok: boolean
    error: string | null
  }> | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [sending, setSending] = useState(false)
  const sendTest = async () => {
    setSending(true)
    setError(null)
    try {
      setResults(
        (await api<{ results: NonNullable<typeof results> }>('/admin/alerts/test', { method: 'POST' }))
          .results,
      )
    } catch (err) {
      setError((err as Error).message)
    } finally {
      setSending(false)
    }
  }
  const destinations = answer.data?.destinations ?? []
  return (
    <div class="alert-destinations">
      <h2>Alerts</h2>
      <Message kind="error" text={answer.error ?? error} />
      {answer.data && destinations.length === 0 && (
        <p class="hint">
          No alert destination: start the service with <code>--alert-webhook URL</code> or{' '}
          <code>--alert-email ADDRESS --smtp-url smtp://…</code>. Alerts are still listed in{' '}
          <a href={href('alerts')}>Alerts</a>.
        </p>
      )}
      {destinations.length > 0 && (
        <>
          <ul class="destinations">
            {destinations.map((d) => (
              <li key={d}>{d}</li>
            ))}
          </ul>
          <button type="button" onClick={sendTest} disabled={sending}>
            {sending ? 'Sending…' : 'Send a test alert'}
          </button>
        </>
      )}
      {answer.data && (
        <details class="thresholds">
          <summary>Thresholds (checked every {duration(answer.data.intervalMs)})</summary>
          <ul>
            {Object.entries(answer.data.thresholds).map(([name, value]) => (
              <li key={name} data-threshold={name}>
                {name}: {typeof value === 'number' && name.endsWith('Ms') ? duration(value) : String(value)}
              </li>
            ))}
          </ul>
        </details>
      )}
      {results && (
        <ul class="check" aria-live="polite">
          {results.map((r) => (
            <li key={r.destination} class={r.ok ? 'ok' : 'bad'}>
              <strong>
                {r.ok ? '✓' : '✗'} {r.destination}
              </strong>
              {r.error && `: ${r.error}`}
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}
