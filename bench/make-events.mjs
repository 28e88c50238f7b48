#!/usr/bin/env node
// Writes N realistic Segment track events as JSONL (a mix of spends, refunds, visits and rejects).
// Usage: node bench/make-events.mjs N > events.jsonl
import { mixedEvent } from './event-mix.mjs'

const n = Number(process.argv[2] ?? 100_000)
let chunk = ''
for (let i = 0; i < n; i++) {
  chunk += `${JSON.stringify(mixedEvent(i))}\n`
  if (chunk.length > 1 << 20) {
    if (!process.stdout.write(chunk)) await new Promise((r) => process.stdout.once('drain', r))
    chunk = ''
  }
}
process.stdout.write(chunk)
