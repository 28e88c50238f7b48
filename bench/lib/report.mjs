// Output conventions shared by every benchmark: progress on stderr, a table for people, and one JSON
// object as the very last line of stdout for machines (and for the tests that run the benchmarks).

const started = Date.now()

/** A progress line on stderr, stamped with seconds since the benchmark started. */
export function progress(message) {
  const s = ((Date.now() - started) / 1000).toFixed(1).padStart(6)
  process.stderr.write(`[${s}s] ${message}\n`)
}

/** Rounds for display and JSON: 3 significant decimals at most, integers above 100. */
export function round(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return n ?? null
  if (Math.abs(n) >= 100) return Math.round(n)
  return Math.round(n * 1000) / 1000
}

function cell(v) {
  if (typeof v === 'number') return Number.isFinite(v) ? round(v).toLocaleString('en-US') : String(v)
  if (v === null || v === undefined) return '-'
  return String(v)
}

/** Prints a titled table: `rows` are arrays of cells, the first row of `header` names the columns. */
export function printTable(title, header, rows) {
  const all = [header, ...rows].map((r) => r.map(cell))
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)))
  const line = (r) =>
    r
      .map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c])))
      .join('  ')
      .trimEnd()
  const out = [`\n${title}`, line(all[0]), widths.map((w) => '-'.repeat(w)).join('  ')]
  for (const r of all.slice(1)) out.push(line(r))
  process.stdout.write(`${out.join('\n')}\n`)
}

/** Free text for the reader (method notes), before the final JSON line. */
export function printNote(text) {
  process.stdout.write(`${text}\n`)
}

/** The machine-readable result: must be the last line of stdout. */
export function printResult(figures) {
  const clean = {}
  for (const [k, v] of Object.entries(figures)) clean[k] = typeof v === 'number' ? round(v) : v
  process.stdout.write(`\n${JSON.stringify(clean)}\n`)
}

/** "≥ 10×" style verdicts for tables. */
export function verdict(ok) {
  return ok ? 'met' : 'MISSED'
}
