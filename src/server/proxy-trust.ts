/**
 * Which proxies' X-Forwarded-Proto, -Host and -For the service believes: the addresses given with
 * `--trust-proxy` (loopback by default). Fastify reads the headers of a request from a trusted
 * address; a request that carries them from anywhere else is answered as if they were absent, and
 * this module says what to set when that is probably a mistake.
 */
import { BlockList, isIP } from 'node:net'
import type { FastifyInstance, FastifyRequest } from 'fastify'

/** Named ranges, as proxy-addr (Express, Fastify) names them. */
const NAMED: Record<string, string[]> = {
  loopback: ['127.0.0.1/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
}

/** What is wrong with one `--trust-proxy` entry, or null when it is an address, a range or a name. */
export function proxyEntryProblem(entry: string): string | null {
  if (entry in NAMED) return null
  const [address, prefix, ...rest] = entry.split('/')
  const family = isIP(address ?? '')
  if (family === 0 || rest.length > 0)
    return 'is not an IP address, a CIDR range or loopback/linklocal/uniquelocal'
  if (prefix === undefined) return null
  const bits = Number(prefix)
  if (!/^\d{1,3}$/.test(prefix) || bits > (family === 4 ? 32 : 128)) return 'has a bad prefix length'
  return null
}

/** Tells whether an address (as the socket reports it) is one of the trusted proxies. */
export function proxyTrust(entries: readonly string[]): (address: string) => boolean {
  const list = new BlockList()
  for (const entry of entries.flatMap((e) => NAMED[e] ?? [e])) {
    const [address, prefix] = entry.split('/') as [string, string | undefined]
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4'
    if (prefix === undefined) list.addAddress(address, type)
    else list.addSubnet(address, Number(prefix), type)
  }
  return (address) => {
    const family = isIP(address)
    return family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4')
  }
}

const FORWARDED = ['x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-for', 'forwarded'] as const

/**
 * When a request came through a proxy the service does not believe, with no `--public-url`: the
 * words that say so and what to set (never the headers' values). Null otherwise.
 */
export function untrustedProxyHint(
  request: FastifyRequest,
  publicUrl: string | null | undefined,
  trusted: (address: string) => boolean,
): string | null {
  if (publicUrl) return null
  const sent = FORWARDED.filter((name) => request.headers[name] !== undefined)
  const peer = request.socket.remoteAddress ?? ''
  if (sent.length === 0 || trusted(peer)) return null
  return `this request came through a proxy (${sent.join(', ')}) at ${peer}, which is not trusted, so its scheme and host are ignored: start the service with --trust-proxy ${peer} (or --public-url <the URL browsers use>)`
}

const hints = new WeakMap<FastifyRequest, string>()
const WARN_EVERY_MS = 10 * 60_000

/**
 * Notes each request that came through an untrusted proxy (for the 403 of a console change) and
 * says so in the log: at warn, at most once every 10 minutes.
 */
export function installProxyWarning(
  app: FastifyInstance,
  publicUrl: string | null | undefined,
  trusted: (address: string) => boolean,
): void {
  let warnedAt = Number.NEGATIVE_INFINITY
  app.addHook('onRequest', async (request) => {
    const hint = untrustedProxyHint(request, publicUrl, trusted)
    if (hint === null) return
    hints.set(request, hint)
    if (Date.now() - warnedAt < WARN_EVERY_MS) return
    warnedAt = Date.now()
    request.log.warn(
      `${hint}; until then analytics.js is given this service's own address and the console refuses changes (repeated at most every 10 minutes)`,
    )
  })
}

/** Why a browser's change from another origin may really be a proxy in between, or '' when nothing says so. */
export function proxyAdvice(
  request: FastifyRequest,
  publicUrl: string | null | undefined,
  origin: string,
): string {
  const hint = hints.get(request)
  if (hint !== undefined) return `; ${hint}`
  if (!publicUrl && origin.startsWith('https://') && request.protocol === 'http') {
    return "; the page is on https but the service was reached over http: behind a TLS proxy, start it with --trust-proxy <the proxy's address> (the proxy sending X-Forwarded-Proto and X-Forwarded-Host) or --public-url <the URL browsers use>"
  }
  return ''
}
