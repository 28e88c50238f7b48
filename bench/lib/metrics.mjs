/** Reads the Prometheus text of the service and sums the samples of `name` (all label sets). */
export async function metricSum(serviceUrl, name) {
  const res = await fetch(`${serviceUrl}/metrics`, { signal: AbortSignal.timeout(10_000) })
  const text = await res.text()
  let sum = 0
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return sum
}
