import { useMemo } from 'preact/hooks'
import { query } from '../api'
import { Chart } from '../chart'
import { count, duration, percent, share, time } from '../format'
import { go, href } from '../route'
import type { Overview } from '../types'
import { useData } from '../use-data'
import { useRange } from '../use-range'
import { Card } from './card'
import { Message } from './message'
import { RangeSelect } from './range-select'

const REFRESH_MS = 15_000

/** The funnel in the order an event goes through it; indented rows split the row above. */
const FUNNEL: Array<{ key: keyof Overview['funnel']; label: string; level: number; status?: string }> = [
  { key: 'received', label: 'Received', level: 0 },
  {
    key: 'skipped',
    label: 'Skipped (nothing to send, or already awarded that day)',
    level: 1,
    status: 'skipped',
  },
  { key: 'rejected', label: 'Rejected (refused at the door)', level: 1, status: 'rejected' },
  { key: 'pending', label: 'Pending', level: 1, status: 'pending' },
  { key: 'retrying', label: 'Retrying', level: 1, status: 'retrying' },
  { key: 'parked', label: 'Parked (waiting for a settings fix)', level: 1, status: 'parked' },
  { key: 'delivered', label: 'Delivered', level: 1, status: 'delivered' },
  { key: 'failed', label: 'Failed', level: 1, status: 'failed' },
]

/** The figures over the funnel, each under its metric name. */
const CARDS: Array<{ metric: string; label: string; value: (o: Overview) => string }> = [
  { metric: 'firstTry', label: 'First-try deliverability', value: (o) => percent(o.deliverability.firstTry) },
  { metric: 'final', label: 'Final deliverability', value: (o) => percent(o.deliverability.final) },
  { metric: 'queueDepth', label: 'Queue depth', value: (o) => count(o.queue.depth) },
  { metric: 'oldestWaiting', label: 'Oldest waiting', value: (o) => duration(o.queue.oldestWaitingAgeMs) },
  { metric: 'p50', label: 'Latency P50', value: (o) => duration(o.latencyMs.p50) },
  { metric: 'p95', label: 'Latency P95', value: (o) => duration(o.latencyMs.p95) },
]

export function OverviewView({ params }: { params: Record<string, string> }) {
  // The range is fixed when chosen (and on each refresh), so the numbers shown are for a known window.
  const range = useRange(params.range, REFRESH_MS)
  const path = `/admin/overview${query({ from: range.from, to: range.to })}`
  const overview = useData<Overview>(path)
  const o = overview.data
  const series = useMemo(() => {
    if (!o) return null
    const times = o.series.map((b) => Date.parse(b.start) / 1000)
    return {
      times,
      flow: [
        { label: 'Delivered', color: '#1a7f37', values: o.series.map((b) => b.delivered) },
        { label: 'Not delivered', color: '#cf222e', values: o.series.map((b) => b.notDelivered) },
      ],
      latency: [{ label: 'P95 received → accepted', color: '#0550ae', values: o.series.map((b) => b.p95Ms) }],
    }
  }, [o])

  return (
    <section aria-labelledby="overview-title">
      <div class="heading">
        <h1 id="overview-title">Overview</h1>
        <RangeSelect value={range.key} onChange={(key) => go('overview', { range: key })} />
        <span class="hint" aria-live="polite">
          {overview.loading
            ? 'Refreshing…'
            : `Updated ${time(new Date(range.to).toISOString())}, refreshes every 15 s`}
        </span>
      </div>
      <Message kind="error" text={overview.error} />
      {o && (
        <>
          <div class="cards" data-from={o.from} data-to={o.to}>
            {CARDS.map((c) => (
              <Card key={c.metric} label={c.label} value={c.value(o)} data-metric={c.metric} />
            ))}
          </div>
          <table class="funnel">
            <caption>What happened to the events received in the range</caption>
            <thead>
              <tr>
                <th scope="col">Stage</th>
                <th scope="col" class="num">
                  Events
                </th>
                <th scope="col" class="num">
                  Share of received
                </th>
              </tr>
            </thead>
            <tbody>
              {FUNNEL.map((row) => (
                <tr key={row.key} class={`level-${row.level}`} data-metric={row.key}>
                  <th scope="row">
                    {row.status ? (
                      <a href={href('events', { status: row.status, from: range.from, to: range.to })}>
                        {row.label}
                      </a>
                    ) : (
                      row.label
                    )}
                  </th>
                  <td class="num" data-count>
                    {count(o.funnel[row.key])}
                  </td>
                  <td class="num">{share(o.funnel[row.key], o.funnel.received)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {series && (
            <div class="charts">
              <Chart title="Delivered and not delivered" times={series.times} series={series.flow} />
              <Chart
                title="P95 latency, received → accepted by Perkville"
                times={series.times}
                series={series.latency}
                unit=" ms"
                points
              />
            </div>
          )}
        </>
      )}
    </section>
  )
}
