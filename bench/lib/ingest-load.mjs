// What bench:ingest and bench:ingest-memory send: the same options and the same request bodies.
import { audienceIdentify, mixedEvent } from '../event-mix.mjs'
import { basicAuth } from './cannon.mjs'
import { WRITE_KEY } from './stack.mjs'

export const INGEST_OPTIONS = {
  seconds: 8,
  'track-connections': 32,
  'batch-connections': 8,
  'batch-size': 100,
  'sandbox-latency-ms': 20,
}

export const INGEST_HEADERS = { 'content-type': 'application/json', authorization: basicAuth(WRITE_KEY) }

// Autocannon puts a fresh id where `[<id>]` stands, so every messageId and order id is new (dedup
// never short-circuits) while the bodies stay byte-for-byte the realistic mix.
const TEMPLATES = 20

export function ingestBodies(batchSize) {
  return {
    // /v1/track takes the track events of the mix (the mix's identify belongs on /v1/identify).
    trackBodies: Array.from({ length: TEMPLATES }, (_, i) => mixedEvent(i, '[<id>]'))
      .filter((e) => e.type === 'track')
      .map((e) => JSON.stringify(e)),
    batchBody: JSON.stringify({
      batch: Array.from({ length: batchSize }, (_, i) => mixedEvent(i, '[<id>]')),
      context: { library: { name: 'analytics-node', version: '3.1.0' } },
    }),
    // An Engage first sync: every identify a new member entering a mapped audience.
    identifyBatchBody: JSON.stringify({
      batch: Array.from({ length: batchSize }, (_, i) => audienceIdentify(i, '[<id>]')),
    }),
  }
}
