/** Nearest-rank percentile of numbers (unsorted input is fine); null for no data. */
export function percentile(values, p) {
  if (values.length === 0) return null
  const sorted = Float64Array.from(values).sort()
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]
}

export function median(values) {
  return percentile(values, 50)
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
