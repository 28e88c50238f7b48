import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

export interface PipelineMetrics {
  received: Counter<'source'>
  rejected: Counter<'code'>
  skipped: Counter<'code'>
  duplicates: Counter
  queued: Counter
  delivered: Counter
  failed: Counter<'reason'>
  parked: Counter<'reason'>
  parkedNow: Gauge
  retries: Counter<'kind'>
  queueDepth: Gauge
  latency: Histogram
  paused: Gauge
}

export function createMetrics(
  registry: Registry,
  depth: () => number,
  paused: () => boolean,
  parkedNow: () => number = () => 0,
): PipelineMetrics {
  const registers = [registry]
  return {
    received: new Counter({
      name: 'perkville_events_received_total',
      help: 'Events handed to the pipeline, by source',
      labelNames: ['source'],
      registers,
    }),
    rejected: new Counter({
      name: 'perkville_events_rejected_total',
      help: 'Events rejected at the door (permanent errors), by code',
      labelNames: ['code'],
      registers,
    }),
    skipped: new Counter({
      name: 'perkville_events_skipped_total',
      help: 'Events skipped: nothing to send and not an error, by code: at the door by the rules (e.g. ZERO_AMOUNT, AUDIENCE_EXITED) or at delivery by Perkville (DAILY_LIMIT_REACHED: a once-per-day perk already awarded that day)',
      labelNames: ['code'],
      registers,
    }),
    duplicates: new Counter({
      name: 'perkville_events_duplicate_total',
      help: 'Events acknowledged but not queued: messageId seen within the dedup window',
      registers,
    }),
    queued: new Counter({
      name: 'perkville_events_queued_total',
      help: 'Events stored for delivery',
      registers,
    }),
    delivered: new Counter({
      name: 'perkville_events_delivered_total',
      help: 'Events accepted by Perkville (including 409 already-delivered and settled lookups)',
      registers,
    }),
    failed: new Counter({
      name: 'perkville_events_failed_total',
      help: 'Events that will not be delivered, by reason',
      labelNames: ['reason'],
      registers,
    }),
    parked: new Counter({
      name: 'perkville_events_parked_total',
      help: 'Events parked until the settings change (Perkville does not know the business, location or perk; or the settings no longer award them), by reason',
      labelNames: ['reason'],
      registers,
    }),
    parkedNow: new Gauge({
      name: 'perkville_events_parked',
      help: 'Events parked now, waiting for a settings change (as of the last look at the queue, at most 15 s old)',
      registers,
      collect() {
        this.set(parkedNow())
      },
    }),
    retries: new Counter({
      name: 'perkville_delivery_retries_total',
      help: 'Attempts that ended in a retry, by kind (temporary, unknown)',
      labelNames: ['kind'],
      registers,
    }),
    queueDepth: new Gauge({
      name: 'perkville_queue_depth',
      help: 'Events stored and not yet delivered or failed',
      registers,
      collect() {
        this.set(depth())
      },
    }),
    latency: new Histogram({
      name: 'perkville_delivery_latency_seconds',
      help: 'Received by the service → accepted by Perkville',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400],
      registers,
    }),
    paused: new Gauge({
      name: 'perkville_delivery_paused',
      help: '1 while delivery is paused because Perkville rejected the credentials',
      registers,
      collect() {
        this.set(paused() ? 1 : 0)
      },
    }),
  }
}
