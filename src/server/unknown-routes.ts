import type { FastifyBaseLogger } from 'fastify'
import { scrub } from '../pipeline/redact.js'

/** A path is shown at most this long: what comes from outside is bounded before it is logged. */
const MAX_PATH_CHARS = 200
/** At most one warn line per this long; the lines left out are counted in the next one. */
export const UNKNOWN_ROUTE_WARN_INTERVAL_MS = 10_000

export interface UnknownRouteOptions {
  logger: FastifyBaseLogger
  /** Configured secrets (write keys, admin token, webhook secret): a path may hold one by mistake. */
  secrets: readonly string[]
  intervalMs?: number
  now?: () => number
}

/**
 * Requests to paths the service does not serve: usually an SDK configured for another API (Jitsu's
 * /api/s/…, a wrong host prefix), whose events would otherwise be lost with nothing but a debug line.
 * Each answer names the nearest supported path; a warn line says the same, at most once per interval.
 */
export class UnknownRoutes {
  private readonly routes: string[] = []
  private lastWarnAt: number | null = null
  private suppressed = 0

  constructor(private readonly opts: UnknownRouteOptions) {}

  /** Records a route the service serves (Fastify's onRoute hook). */
  add(method: string, url: string): void {
    if (method === 'HEAD' || method === 'OPTIONS' || url === '*' || url.endsWith('/*')) return
    this.routes.push(`${method} ${url}`)
  }

  /** The nearest served route to this request, or null when none is served; warns (rate-limited). */
  seen(method: string, rawPath: string): { path: string; nearest: string | null } {
    const path = this.shown(rawPath)
    const nearest = this.nearest(method, rawPath)
    const now = (this.opts.now ?? Date.now)()
    const interval = this.opts.intervalMs ?? UNKNOWN_ROUTE_WARN_INTERVAL_MS
    if (this.lastWarnAt !== null && now - this.lastWarnAt < interval) {
      this.suppressed++
    } else {
      this.opts.logger.warn(
        { method, path, nearest, unknownSinceLastLine: this.suppressed },
        `no route ${method} ${path}${nearest ? `; the nearest supported path is ${nearest}` : ''}`,
      )
      this.lastWarnAt = now
      this.suppressed = 0
    }
    return { path, nearest }
  }

  private shown(rawPath: string): string {
    const path = scrub(rawPath, this.opts.secrets)
    return path.length > MAX_PATH_CHARS ? `${path.slice(0, MAX_PATH_CHARS)}…` : path
  }

  private nearest(method: string, rawPath: string): string | null {
    const path = rawPath.slice(0, MAX_PATH_CHARS)
    let best: string | null = null
    let bestDistance = Number.POSITIVE_INFINITY
    for (const route of this.routes) {
      const [routeMethod, routePath] = route.split(' ', 2) as [string, string]
      // Another method costs more than any few edits of the path: the same method is preferred.
      const distance = editDistance(path, routePath) + (routeMethod === method ? 0 : 1000)
      if (distance < bestDistance) {
        best = route
        bestDistance = distance
      }
    }
    return best
  }
}

/** Levenshtein distance (insert, delete, substitute: 1 each), in O(|b|) memory. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitute = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitute))
    }
    previous = current
  }
  return previous[b.length]!
}
