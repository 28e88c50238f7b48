/**
 * The sandbox's HTTP API: Perkville's v2 routes as the spec describes them, behind fault injection
 * and bearer auth, plus an unauthenticated control plane under /_sandbox (it is a test tool).
 */
import type { Socket } from 'node:net'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { type FaultInjector, FaultsError, parseFaults } from './faults.js'
import {
  businessResource,
  connectionResource,
  locationResource,
  perkResource,
  transactionResource,
} from './resources.js'
import type { Scope, TokenGrant } from './seed.js'
import type { Page, SandboxStore } from './store.js'
import { validateTransactionInput } from './transaction-input.js'

export interface AppDeps {
  store: SandboxStore
  faults: FaultInjector
  tokens: Map<string, TokenGrant>
  logger: boolean
}

const DEFAULT_LIMIT = 20
const MAX_LIMIT = 1000

declare module 'fastify' {
  interface FastifyRequest {
    grant: TokenGrant | null
  }
}

export function buildApp({ store, faults, tokens, logger }: AppDeps): FastifyInstance {
  const app = Fastify({ logger, forceCloseConnections: true, bodyLimit: 1024 * 1024 })
  // Hung requests are left open on purpose; close() must still end them.
  const hung = new Set<Socket>()
  /** Counts of what the sandbox did, for the chaos harness and tests (`GET /_sandbox/stats`). */
  const stats = {
    apiRequests: 0,
    injected: { outage: 0, error: 0, rate_limit: 0, hang: 0, commit_then_fail: 0 },
  }
  app.addHook('onClose', async () => {
    for (const socket of hung) socket.destroy()
    hung.clear()
  })
  const hang = (request: FastifyRequest, reply: FastifyReply) => {
    reply.hijack()
    const socket = request.raw.socket
    hung.add(socket)
    socket.once('close', () => hung.delete(socket))
    return reply
  }

  app.decorateRequest('grant', null)

  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/v2/')) return
    stats.apiRequests++
    const isWrite = request.method === 'POST'
    const path = request.url.split('?')[0] ?? request.url
    const decision = faults.before(isWrite, path)
    if (decision.kind !== 'pass') stats.injected[decision.kind]++
    switch (decision.kind) {
      case 'outage':
        return reply.code(503).send({ detail: 'Perkville is unavailable (sandbox outage)' })
      case 'error':
        return reply.code(decision.status).send({ detail: `injected fault: HTTP ${decision.status}` })
      case 'rate_limit':
        return reply
          .code(429)
          .header('retry-after', decision.retryAfter)
          .send({ detail: 'Request was throttled (sandbox fault).' })
      case 'hang':
        return hang(request, reply)
      case 'pass':
        break
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')
    const grant = match?.[1] ? tokens.get(match[1]) : undefined
    if (!grant) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer error="invalid_token"')
        .send({
          error: 'invalid_token',
          error_description: match
            ? 'The access token is invalid or expired.'
            : 'An access token is required.',
        })
    }
    request.grant = grant
  })

  // Latency runs once the body has been read, so (as with a real slow server) a request whose
  // caller gave up meanwhile is still handled and may still be recorded.
  app.addHook('preHandler', async (request) => {
    if (!request.url.startsWith('/v2/')) return
    const delay = faults.latencyMs(request.method === 'POST', request.url.split('?')[0] ?? request.url)
    if (delay > 0) await sleep(delay)
  })

  const requireScope = (request: FastifyRequest, reply: FastifyReply, scope: Scope): boolean => {
    if (request.grant?.scopes.includes(scope)) return true
    void reply.code(403).send({
      error: 'insufficient_scope',
      error_description: `The access token lacks the ${scope} scope.`,
    })
    return false
  }
  /** A token administers some businesses only (a token of another Perkville account answers 403). */
  const requireBusiness = (
    request: FastifyRequest,
    reply: FastifyReply,
    business: number | undefined,
  ): boolean => {
    const allowed = request.grant?.businesses
    if (business === undefined || allowed === null || allowed === undefined || allowed.includes(business))
      return true
    void reply.code(403).send({
      error: 'insufficient_scope',
      error_description: `The access token may not act for business ${business}.`,
    })
    return false
  }

  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ detail: `no route for ${request.method} ${request.url.split('?')[0]}` })
  })
  app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) => {
    const status =
      error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500
    if (status === 500) app.log.error(error)
    void reply
      .code(status)
      .send(status === 500 ? { detail: 'internal error' } : { errors: { __all__: [error.message] } })
  })

  app.get('/healthz', async () => ({ ok: true }))

  app.get<{ Params: { id: string } }>('/v2/businesses/:id/', async (request, reply) => {
    const id = toId(request.params.id)
    if (!requireBusiness(request, reply, id ?? undefined)) return reply
    const row = id === null ? undefined : store.business(id)
    if (!row) return reply.code(404).send({ detail: `business ${request.params.id} not found` })
    return businessResource(row)
  })

  /** The common part of every list: paging and the business filter, checked; null once an error is sent. */
  const listQuery = (request: FastifyRequest, reply: FastifyReply) => {
    const q = query(request)
    const paging = pagingOf(q)
    const business = optionalIdParam(q, 'business')
    if ('errors' in paging || typeof business === 'string') {
      void badRequest(reply, {
        ...('errors' in paging ? paging.errors : {}),
        ...idError(business, 'business'),
      })
      return null
    }
    if (!requireBusiness(request, reply, business)) return null
    const text = (name: string) => q.get(name) ?? undefined
    return { paging, business, text }
  }

  app.get('/v2/locations/', async (request, reply) => {
    const l = listQuery(request, reply)
    if (!l) return reply
    const page = store.locations(l.business ?? null, l.paging.limit, l.paging.offset)
    return listPage(request, page, l.paging, locationResource)
  })

  app.get('/v2/perks/', async (request, reply) => {
    const l = listQuery(request, reply)
    if (!l) return reply
    return listPage(
      request,
      store.perks(l.business ?? null, l.paging.limit, l.paging.offset),
      l.paging,
      perkResource,
    )
  })

  app.get('/v2/connections/', async (request, reply) => {
    if (!requireScope(request, reply, 'ADMIN_CUSTOMER_INFO')) return reply
    const l = listQuery(request, reply)
    if (!l) return reply
    const filter = { business: l.business, email: l.text('user__emails__email') }
    return listPage(
      request,
      store.connections(filter, l.paging.limit, l.paging.offset),
      l.paging,
      connectionResource,
    )
  })

  app.get('/v2/transactions/', async (request, reply) => {
    if (!requireScope(request, reply, 'ADMIN_CUSTOMER_INFO')) return reply
    const l = listQuery(request, reply)
    if (!l) return reply
    const filter = { business: l.business, externalId: l.text('external_id'), email: l.text('email') }
    const page = store.transactions(filter, l.paging.limit, l.paging.offset)
    return listPage(request, page, l.paging, transactionResource)
  })

  app.post('/v2/transactions/', async (request, reply) => {
    if (!requireScope(request, reply, 'ADMIN_CUSTOMER_GRANT_POINTS')) return reply
    const input = validateTransactionInput(request.body)
    if (!input.ok) return badRequest(reply, input.errors)
    const tx = input.value
    if (!requireBusiness(request, reply, tx.business)) return reply
    if (!store.business(tx.business))
      return reply.code(404).send({ detail: `business ${tx.business} not found` })
    if (store.location(tx.location)?.business_id !== tx.business) {
      return reply.code(404).send({ detail: `location ${tx.location} not found in business ${tx.business}` })
    }
    const perk = store.perk(tx.perk)
    if (perk?.business_id !== tx.business) {
      return reply.code(404).send({ detail: `perk ${tx.perk} not found in business ${tx.business}` })
    }
    const result = store.insertTransaction(tx, perk)
    if (result.kind === 'exists') {
      const existing = transactionResource(result.row)
      return reply.code(409).send({
        detail: `a transaction with external_id ${JSON.stringify(tx.externalId)} already exists`,
        id: existing.id,
        resource_uri: existing.resource_uri,
      })
    }
    const after = faults.afterCommit()
    if (after !== 'none') stats.injected.commit_then_fail++
    switch (after) {
      case 'error':
        return reply.code(500).send({ detail: 'injected fault: HTTP 500 after the transaction was recorded' })
      case 'disconnect':
        reply.hijack()
        request.raw.socket.destroy()
        return reply
      case 'hang':
        return hang(request, reply)
      case 'none':
        break
    }
    return reply
      .code(201)
      .header('location', transactionResource(result.row).resource_uri)
      .send(transactionResource(result.row))
  })

  app.get('/_sandbox/faults', async () => faults.get())
  app.put('/_sandbox/faults', async (request, reply) => {
    try {
      faults.set(parseFaults(request.body ?? {}))
    } catch (err) {
      if (err instanceof FaultsError)
        return reply.code(400).send({ error: 'invalid faults', problems: err.problems })
      throw err
    }
    return faults.get()
  })
  app.post('/_sandbox/reset', async () => {
    store.reset()
    return { ok: true }
  })
  app.get('/_sandbox/stats', async () => ({ ...stats, injected: { ...stats.injected }, hungOpen: hung.size }))
  app.get('/_sandbox/transactions', async () => ({
    objects: store.allTransactions().map(transactionResource),
  }))

  return app
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref())
}

function query(request: FastifyRequest): URLSearchParams {
  const i = request.url.indexOf('?')
  return new URLSearchParams(i === -1 ? '' : request.url.slice(i + 1))
}

function toId(text: string | null): number | null {
  if (text === null || !/^\d+$/.test(text)) return null
  const n = Number(text)
  return Number.isSafeInteger(n) && n > 0 ? n : null
}

/** undefined when absent, a number when valid, the raw text when invalid. */
function optionalIdParam(q: URLSearchParams, name: string): number | string | undefined {
  const raw = q.get(name)
  if (raw === null) return undefined
  return toId(raw) ?? raw
}

function idError(value: number | string | undefined, name: string): Record<string, string[]> {
  return typeof value === 'string'
    ? { [name]: [`must be a positive integer id, got ${JSON.stringify(value)}`] }
    : {}
}

type Paging = { limit: number; offset: number }

function pagingOf(q: URLSearchParams): Paging | { errors: Record<string, string[]> } {
  const errors: Record<string, string[]> = {}
  const num = (name: string, fallback: number, min: number, max: number): number => {
    const raw = q.get(name)
    if (raw === null) return fallback
    const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      errors[name] = [`must be an integer from ${min} to ${max}`]
      return fallback
    }
    return n
  }
  const limit = num('limit', DEFAULT_LIMIT, 1, MAX_LIMIT)
  const offset = num('offset', 0, 0, Number.MAX_SAFE_INTEGER)
  return Object.keys(errors).length > 0 ? { errors } : { limit, offset }
}

/** A Tastypie-style page; `next`/`previous` keep the request's own filters. */
function listPage<R, T>(request: FastifyRequest, page: Page<R>, paging: Paging, toResource: (row: R) => T) {
  const path = request.url.split('?')[0] ?? request.url
  const link = (offset: number) => {
    const q = query(request)
    q.set('limit', String(paging.limit))
    q.set('offset', String(offset))
    return `${path}?${q.toString()}`
  }
  const { limit, offset } = paging
  return {
    meta: {
      limit,
      next: offset + limit < page.total ? link(offset + limit) : null,
      offset,
      previous: offset > 0 ? link(Math.max(0, offset - limit)) : null,
      total_count: page.total,
    },
    objects: page.rows.map(toResource),
  }
}

function badRequest(reply: FastifyReply, errors: Record<string, string[]>) {
  return reply.code(400).send({ errors })
}
