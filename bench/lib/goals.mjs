// The goals of issue 15, each beside its figure and its baseline from the same `npm run bench` run.
// `goals(all)` takes the last JSON line of every benchmark, by name (see run-all.mjs), and answers one
// row per goal; a benchmark that did not run (or failed) leaves its goals "not run", never met.

const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null)

/**
 * Each goal: what is measured, the figure, the target, the baseline it is a ratio against, the ratio
 * (figure ÷ baseline) and whether the target is met. `higher` says which way is better.
 */
function goal({ name, figure, unit = '', target, higher = true, baseline = null, baselineName = '', met }) {
  const f = num(figure)
  const b = num(baseline)
  return {
    goal: name,
    figure: f,
    unit,
    target,
    baseline: b,
    baseline_name: baselineName,
    ratio: f !== null && b !== null && b !== 0 ? f / b : null,
    higher,
    verdict: f === null ? 'not run' : met(f) ? 'met' : 'MISSED',
  }
}

export function goals(all) {
  const core = all.core ?? {}
  const ingest = all.ingest ?? {}
  const delivery = all.delivery ?? {}
  const backlog = all.backlog ?? {}
  const pg = all.postgres ?? {}
  const pgBacklog = all['backlog-postgres'] ?? {}
  // "Throughout": every service process the run measured, under ingest load and in every backlog.
  const rssPeaks = [
    ingest.service_rss_peak_mb,
    backlog.rss_peak_mb,
    pg.accept_rss_peak_mb,
    pg.delivery_rss_peak_mb,
    pgBacklog.rss_peak_mb,
  ].filter((v) => num(v) !== null)
  const backlogGoal = (store, b) => {
    const largest = num(b.largest_backlog)
    const label =
      largest === null ? 'largest' : largest >= 1_000_000 ? '1,000,000' : largest.toLocaleString('en-US')
    return goal({
      name: `${store}: ${label}-event backlog drains at ≥ 75% of the 10,000 rate`,
      figure:
        largest === null ? null : b[`drain_per_s_${largest >= 1_000_000 ? '1m' : `${largest / 1000}k`}`],
      unit: '/s',
      target: '≥ 0.75 × baseline',
      baseline: b.drain_per_s_10k,
      baselineName: '10k backlog drain/s',
      met: () => num(b.drain_ratio_largest_vs_10k) !== null && b.drain_ratio_largest_vs_10k >= 0.75,
    })
  }
  return [
    goal({
      name: 'core: decide ≥ JSON.parse of the same events',
      figure: core.decide_per_s,
      unit: 'events/s',
      target: '≥ 1 × baseline',
      baseline: core.json_parse_per_s,
      baselineName: 'JSON.parse/s',
      met: (f) => f >= core.json_parse_per_s,
    }),
    goal({
      name: 'SQLite: /v1/batch durable',
      figure: ingest.batch_events_per_s,
      unit: 'events/s',
      target: '≥ 30,000',
      baseline: ingest.bare_batch_events_per_s,
      baselineName: 'bare node:http /v1/batch',
      met: (f) => f >= 30_000,
    }),
    goal({
      name: 'SQLite: /v1/track vs a bare node:http server',
      figure: ingest.track_req_per_s,
      unit: 'req/s',
      target: '≥ 0.5 × baseline',
      baseline: ingest.bare_req_per_s,
      baselineName: 'bare node:http /v1/track',
      met: (f) => f >= 0.5 * ingest.bare_req_per_s,
    }),
    goal({
      name: 'SQLite: delivery to a 20 ms sandbox',
      figure: delivery.delivered_per_s,
      unit: '/s',
      target: '≥ 0.8 × baseline',
      baseline: num(delivery.sandbox_latency_ms) ? (32 * 1000) / delivery.sandbox_latency_ms : null,
      baselineName: 'concurrency ÷ latency',
      met: (f) => f >= (0.8 * 32 * 1000) / delivery.sandbox_latency_ms,
    }),
    goal({
      name: 'SQLite: P95 received → accepted at 200 events/s',
      figure: delivery.p95_ms,
      unit: 'ms',
      target: '≤ 100',
      higher: false,
      baseline: delivery.sandbox_latency_ms,
      baselineName: 'sandbox latency',
      met: (f) => f <= 100,
    }),
    goal({
      name: 'PostgreSQL: accept, two instances (processes)',
      figure: pg.accept_events_per_s,
      unit: 'events/s',
      target: '≥ 15,000',
      baseline: ingest.batch_events_per_s,
      baselineName: 'SQLite /v1/batch',
      met: (f) => f >= 15_000,
    }),
    goal({
      name: 'PostgreSQL: delivery, 2 processes × concurrency',
      figure: pg.delivered_per_s,
      unit: '/s',
      target: '≥ 0.8 × baseline',
      baseline: pg.delivery_ceiling_per_s,
      baselineName: 'instances × concurrency ÷ latency',
      met: (f) => f >= 0.8 * pg.delivery_ceiling_per_s,
    }),
    goal({
      name: 'PostgreSQL: accepted on one instance, starts on another (P95)',
      figure: pg.wake_p95_ms,
      unit: 'ms',
      target: '≤ 50',
      higher: false,
      baseline: num(pg.wake_p95_ms) === null ? null : 1_000,
      baselineName: 'the fallback poll',
      met: (f) => f <= 50,
    }),
    goal({
      name: 'PostgreSQL: P95 received → accepted at 200 events/s',
      figure: pg.p95_ms,
      unit: 'ms',
      target: '≤ 100',
      higher: false,
      baseline: delivery.p95_ms,
      baselineName: 'the same on SQLite',
      met: (f) => f <= 100,
    }),
    backlogGoal('SQLite', backlog),
    backlogGoal('PostgreSQL', pgBacklog),
    goal({
      name: 'service RSS peak throughout (ingest, delivery, backlogs; both stores)',
      figure: rssPeaks.length === 0 ? null : Math.max(...rssPeaks),
      unit: 'MB',
      target: '≤ 200',
      higher: false,
      met: (f) => f <= 200,
    }),
  ]
}
