import { describe, expect, it } from 'vitest'
// @ts-expect-error plain .mjs without types, run by `npm run bench`
import { goals } from '../../bench/lib/goals.mjs'

interface Row {
  goal: string
  figure: number | null
  ratio: number | null
  verdict: string
}

const find = (rows: Row[], part: string) => rows.find((r) => r.goal.includes(part))!

describe('the goals table of npm run bench', () => {
  it('sets each figure beside its baseline and says met or missed', () => {
    const rows: Row[] = goals({
      ingest: {
        batch_events_per_s: 31_000,
        bare_batch_events_per_s: 200_000,
        track_req_per_s: 4_000,
        bare_req_per_s: 10_000,
        service_rss_peak_mb: 170,
      },
      postgres: {
        accept_events_per_s: 9_000,
        delivered_per_s: 2_600,
        delivery_ceiling_per_s: 3_200,
        wake_p95_ms: 30,
        delivery_rss_peak_mb: 150,
      },
      backlog: {
        largest_backlog: 1_000_000,
        drain_per_s_1m: 2_000,
        drain_per_s_10k: 2_500,
        drain_ratio_largest_vs_10k: 0.8,
        rss_peak_mb: 180,
      },
    })
    expect(find(rows, '/v1/batch')).toMatchObject({ verdict: 'met', ratio: 31_000 / 200_000 })
    expect(find(rows, '/v1/track')).toMatchObject({ verdict: 'MISSED', ratio: 0.4 })
    expect(find(rows, 'PostgreSQL: accept')).toMatchObject({ verdict: 'MISSED', ratio: 9_000 / 31_000 })
    expect(find(rows, 'PostgreSQL: delivery')).toMatchObject({ verdict: 'met', ratio: 2_600 / 3_200 })
    expect(find(rows, 'starts on another')).toMatchObject({ verdict: 'met', figure: 30 })
    expect(find(rows, 'SQLite: 1,000,000-event backlog')).toMatchObject({ verdict: 'met', ratio: 0.8 })
    expect(find(rows, 'RSS')).toMatchObject({ verdict: 'met', figure: 180 })
  })

  it('the RSS goal is the highest peak of every service measured, ingest load included', () => {
    const rows: Row[] = goals({
      ingest: { service_rss_peak_mb: 248 },
      backlog: { rss_peak_mb: 190 },
      'backlog-postgres': { rss_peak_mb: 160 },
    })
    expect(find(rows, 'RSS')).toMatchObject({ verdict: 'MISSED', figure: 248 })
  })

  it('a benchmark that did not run leaves its goals "not run", never met', () => {
    const rows: Row[] = goals({ ingest: { error: 'exit 1' } })
    expect(rows.length).toBeGreaterThanOrEqual(12)
    for (const r of rows) expect(r.verdict).toBe('not run')
  })
})
