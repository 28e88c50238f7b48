#!/usr/bin/env node
// bench:console — a SQLite store holding 1,000,000 events over 30 days (accepted with their outcomes,
// and refused ones), then the console's overview for 1 day and 30 days and a search by email, timed
// through the pipeline's own modules (dist/, so `npm run build` first). The target: each under 1 s.
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { computeErrorGroups } from '../dist/pipeline/error-groups.js'
import { searchEvents } from '../dist/pipeline/event-search.js'
import { computeOverview } from '../dist/pipeline/overview.js'
import { openSqliteStorage } from '../dist/pipeline/storage/sqlite.js'
import { options } from './lib/args.mjs'
import { printNote, printResult, printTable, progress, verdict } from './lib/report.mjs'

const opts = options({ events: 1_000_000, days: 30, customers: 50_000, repeats: 3, keep: false })
const DAY = 86_400_000
const now = Date.now()
const start = now - opts.days * DAY
const work = mkdtempSync(join(tmpdir(), 'bench-console-'))
const path = join(work, 'perkville.db')

// The schema comes from the store itself (its migrations); the rows are written with plain SQL, in
// large transactions, as the accept path would leave them after delivery.
await openSqliteStorage({ path }).close()
const db = new Database(path)
db.pragma('journal_mode = WAL')
db.pragma('synchronous = OFF')
const insertEvent = db.prepare(
  `INSERT INTO events (message_id, external_id, customer_key, email, business_id, location_id, perk_id,
     send_email, kind, quantity, order_id, event_timestamp, payload, source, status, attempts, received_at,
     finished_at, latency_ms, failure_reason, last_error, event_name, write_key_source)
   VALUES (?, ?, ?, ?, '1001', '2001', ?, 0, ?, ?, ?, ?, ?, 'tracking-api', ?, ?, ?, ?, ?, ?, ?, ?, 'write key 1')`,
)
const insertRefusal = db.prepare(
  `INSERT INTO refusals (received_at, kind, code, message, email, customer_key, order_id, message_id, event_name,
     audience_key, source, write_key_source, payload)
   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 'tracking-api', 'write key 1', ?)`,
)

// A deterministic mix like bench/event-mix.mjs: 85 % accepted (mostly delivered), 15 % refused.
function fill(i) {
  const at = start + Math.floor((i / opts.events) * opts.days * DAY)
  const email = `member${i % opts.customers}@example.com`
  const messageId = `bench-${i}`
  const r = i % 20
  const orderId = r < 10 ? `o-${i}` : null
  const event =
    r < 8 ? 'Order Completed' : r < 10 ? 'Order Refunded' : r < 16 ? 'Checked In' : 'Product Viewed'
  const payload = JSON.stringify({
    type: 'track',
    event,
    messageId,
    userId: `u${i % opts.customers}`,
    timestamp: new Date(at).toISOString(),
    receivedAt: new Date(at).toISOString(),
    context: { library: { name: 'analytics-node', version: '3.1.0' }, traits: { email } },
    properties: orderId ? { order_id: orderId, revenue: 12.5, currency: 'USD' } : { location: 'Main St' },
  })
  if (r >= 17) {
    const skip = r === 19
    insertRefusal.run(
      at,
      skip ? 'skip' : 'reject',
      skip ? 'ZERO_AMOUNT' : 'EVENT_NOT_ALLOWLISTED',
      skip ? 'the amount is 0' : 'event "Product Viewed" is not in eventToPerkMap',
      email,
      email,
      orderId,
      messageId,
      event,
      payload,
    )
    return
  }
  const failed = i % 97 === 0
  const pending = at > now - 60_000
  const status = pending ? 'pending' : failed ? 'failed' : 'delivered'
  const attempts = pending ? 0 : i % 13 === 0 ? 2 : 1
  insertEvent.run(
    messageId,
    messageId,
    email,
    email,
    r < 8 ? '3002' : '3001',
    r < 8 ? 'spend' : r < 10 ? 'refund' : 'event',
    r < 8 ? 12.5 : r < 10 ? -12.5 : 1,
    orderId,
    new Date(at).toISOString(),
    payload,
    status,
    attempts,
    at,
    pending ? null : at + 150,
    status === 'delivered' ? 80 + (i % 400) : null,
    failed ? 'permanent' : null,
    failed ? 'Perkville answered 404' : null,
    event,
  )
}

const CHUNK = 50_000
const fillStarted = Date.now()
for (let done = 0; done < opts.events; done += CHUNK) {
  db.transaction(() => {
    for (let i = done; i < Math.min(opts.events, done + CHUNK); i++) fill(i)
  })()
  progress(
    `filled ${(Math.min(opts.events, done + CHUNK)).toLocaleString('en-US')} of ${opts.events.toLocaleString('en-US')} events`,
  )
}
const fillSeconds = (Date.now() - fillStarted) / 1000
db.pragma('wal_checkpoint(TRUNCATE)')
const counts = {
  events: db.prepare('SELECT COUNT(*) FROM events').pluck().get(),
  refusals: db.prepare('SELECT COUNT(*) FROM refusals').pluck().get(),
}
// Bytes per stored row of each table, its indexes included, when SQLite has the dbstat table.
let perRow = null
try {
  const size = (like) => db.prepare(`SELECT SUM(pgsize) FROM dbstat WHERE name LIKE ?`).pluck().get(like)
  perRow = { events: size('events%') / counts.events, refusals: size('refusals%') / counts.refusals }
} catch {
  perRow = null
}
db.close()
const fileBytes = statSync(path).size

const storage = openSqliteStorage({ path })
const deps = { storage, queueDepth: () => 0, now: () => now }
async function timed(label, fn) {
  const ms = []
  let last
  for (let k = 0; k < opts.repeats; k++) {
    const t = performance.now()
    last = await fn()
    ms.push(performance.now() - t)
  }
  ms.sort((a, b) => a - b)
  return { label, best: ms[0], median: ms[Math.floor(ms.length / 2)], last }
}
try {
  progress('timing the overview and the search')
  const day = await timed('overview, last 1 day', () => computeOverview(deps, { from: now - DAY, to: now }))
  const month = await timed(`overview, last ${opts.days} days`, () =>
    computeOverview(deps, { from: start, to: now + 1 }),
  )
  const email = `member${Math.floor(opts.customers / 2)}@example.com`
  const byEmail = await timed('search by email (first page)', () => searchEvents(storage, { q: email }))
  const byOrder = await timed('search by order id', () =>
    searchEvents(storage, { q: `o-${opts.events / 2}` }),
  )
  const newest = await timed('newest events, no filter (first page)', () => searchEvents(storage, {}))
  const errors = await timed(`errors, last ${opts.days} days (and the ${opts.days} before)`, () =>
    computeErrorGroups(storage, { from: start, to: now + 1 }),
  )
  const rows = [day, month, byEmail, byOrder, newest, errors]
  printTable(
    `bench:console — ${counts.events.toLocaleString('en-US')} accepted + ${counts.refusals.toLocaleString('en-US')} refused events over ${opts.days} days (SQLite), ${opts.repeats} runs each`,
    ['query', 'best ms', 'median ms', 'under 1 s'],
    rows.map((r) => [r.label, r.best, r.median, verdict(r.median < 1000)]),
  )
  printNote(
    [
      '',
      `Filled in ${fillSeconds.toFixed(1)} s; database file ${(fileBytes / 1e6).toFixed(0)} MB (${Math.round(fileBytes / opts.events)} bytes per event, indexes included).`,
      perRow
        ? `Per row with its indexes: accepted ${Math.round(perRow.events)} B, refused ${Math.round(perRow.refusals)} B.`
        : 'dbstat is not compiled into this SQLite: no per-table sizes.',
      `The 30-day overview counted ${month.last.funnel.received.toLocaleString('en-US')} events; the email search found ${byEmail.last.events.length} on its first page.`,
    ].join('\n'),
  )
  printResult({
    events: counts.events,
    refusals: counts.refusals,
    fill_s: fillSeconds,
    file_bytes_per_event: fileBytes / opts.events,
    accepted_row_bytes: perRow?.events ?? null,
    refused_row_bytes: perRow?.refusals ?? null,
    overview_1d_ms: day.median,
    overview_30d_ms: month.median,
    search_email_ms: byEmail.median,
    search_order_ms: byOrder.median,
    newest_page_ms: newest.median,
    errors_30d_ms: errors.median,
  })
} finally {
  await storage.close()
  if (!opts.keep) rmSync(work, { recursive: true, force: true })
}
