/**
 * Perkville's v2 routes as the spec describes them, registered under the prefix /v2: every request
 * goes through fault injection, then bearer auth, then (once its body is read) injected latency.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { SandboxActivity } from './activity.js'
import type { DuplicateAnswer, ResolvedBehaviour } from './behaviour.js'
import { calendarDay } from './calendar-day.js'
import { type DailyLimitAnswer, dailyLimitBody } from './daily-limit.js'
import type { FaultInjector } from './faults.js'
import { id, listPage, listQuery, onlyFilters, queryError } from './list-query.js'
import { notFound } from './not-found.js'
import {
  businessResource,
  connectionResource,
  locationResource,
  perkResource,
  transactionResource,
} from './resources.js'
import type { Scope, TokenGrant } from './seed.js'
import type { SandboxStore, TransactionRow } from './store.js'
import { validateTransactionInput } from './transaction-input.js'

export interface ApiOptions {
  store: SandboxStore
  faults: FaultInjector
  /** The grant of a bearer token (seeded or issued by the token endpoint), if it is one. */
  tokens: (token: string) => TokenGrant | undefined
  activity: SandboxActivity
  /** The form of a refused second once-per-day award (default error_codes). */
  dailyLimitAnswer?: DailyLimitAnswer
  /** The sandbox's clock (the store's too): which calendar day it is. */
  now?: () => number
  /** Read on every request: `setBehaviour` replaces `current`. */
  behaviour: { current: ResolvedBehaviour }
}

declare module 'fastify' {
  interface FastifyRequest {
    grant: TokenGrant | null
  }
}

const businessParams = z.object({ id: z.string() })

export const apiRoutes: FastifyPluginAsync<ApiOptions> = async (instance, options) => {
  const { store, faults, activity, behaviour } = options
  const app = instance.withTypeProvider<ZodTypeProvider>()
  app.setValidatorCompiler(validatorCompiler)
  app.setSchemaErrorFormatter((errors) => queryError(errors))

  app.addHook('onRequest', async (request, reply) => {
    activity.apiRequests++
    const path = request.url.split('?')[0] ?? request.url
    const decision = faults.before(request.method === 'POST', path)
    if (decision.kind !== 'pass') activity.injected[decision.kind]++
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
        return activity.hang(request, reply)
      case 'pass':
        break
    }
    return authenticate(options.tokens, request, reply)
  })

  // Latency runs once the body has been read, so (as with a real slow server) a request whose
  // caller gave up meanwhile is still handled and may still be recorded.
  app.addHook('preHandler', async (request) => {
    const delay = faults.latencyMs(request.method === 'POST', request.url.split('?')[0] ?? request.url)
    if (delay > 0) await sleep(delay)
  })

  // Unknown /v2 paths go through the hooks above too, as they would on Perkville.
  app.setNotFoundHandler(notFound)

  const publicInfo = scopeCheck('PUBLIC')

  app.get(
    '/businesses/:id/',
    { schema: { params: businessParams }, preValidation: publicInfo },
    async (request, reply) => {
      const business = id.safeParse(request.params.id)
      const businessId = business.success ? business.data : null
      if (!requireBusiness(request, reply, businessId ?? undefined)) return reply
      const row = businessId === null ? undefined : store.business(businessId)
      if (!row) return reply.code(404).send({ detail: `business ${request.params.id} not found` })
      return businessResource(row)
    },
  )

  // Reads of the business's own resources need PUBLIC; each list refuses filters Perkville does not document.
  const list = (...filters: string[]) => ({
    schema: { querystring: listQuery },
    preValidation: [publicInfo, onlyFilters(() => filters)],
  })
  const byBusiness = list('business')
  const customerInfo = (filters: () => readonly string[]) => ({
    schema: { querystring: listQuery },
    preValidation: [scopeCheck('ADMIN_CUSTOMER_INFO'), onlyFilters(filters)],
  })

  app.get('/locations/', byBusiness, async (request, reply) => {
    const q = request.query
    if (!requireBusiness(request, reply, q.business)) return reply
    return listPage(request, store.locations(q.business ?? null, q.limit, q.offset), q, locationResource)
  })

  app.get('/perks/', byBusiness, async (request, reply) => {
    const q = request.query
    if (!requireBusiness(request, reply, q.business)) return reply
    return listPage(request, store.perks(q.business ?? null, q.limit, q.offset), q, perkResource)
  })

  app.get(
    '/connections/',
    customerInfo(() => ['business', 'user__emails__email']),
    async (request, reply) => {
      const q = request.query
      if (!requireBusiness(request, reply, q.business)) return reply
      const filter = { business: q.business, email: q.user__emails__email }
      return listPage(request, store.connections(filter, q.limit, q.offset), q, connectionResource)
    },
  )

  // trans_source_id is the assumed lookup filter (docs/perkville-api.md); `lookupFilter: false` refuses it.
  const transactionFilters = () =>
    behaviour.current.lookupFilter ? ['business', 'trans_source_id'] : ['business']
  app.get('/transactions/', customerInfo(transactionFilters), async (request, reply) => {
    const q = request.query
    if (!requireBusiness(request, reply, q.business)) return reply
    const filter = { business: q.business, transSourceId: q.trans_source_id }
    return listPage(request, store.transactions(filter, q.limit, q.offset), q, transactionResource)
  })

  app.post(
    '/transactions/',
    { preValidation: scopeCheck('ADMIN_CUSTOMER_GRANT_POINTS') },
    async (request, reply) => {
      const input = validateTransactionInput(request.body)
      if (!input.ok) return reply.code(400).send({ errors: input.errors })
      const tx = input.value
      if (!requireBusiness(request, reply, tx.business)) return reply
      const business = store.business(tx.business)
      if (!business) return reply.code(404).send({ detail: `business ${tx.business} not found` })
      if (store.location(tx.location)?.business_id !== tx.business) {
        return reply
          .code(404)
          .send({ detail: `location ${tx.location} not found in business ${tx.business}` })
      }
      const perk = store.perk(tx.perk)
      if (perk?.business_id !== tx.business) {
        return reply.code(404).send({ detail: `perk ${tx.perk} not found in business ${tx.business}` })
      }
      // Before the key's own check, as a validation would run before a unique constraint: a resend of
      // a once-per-day award that got through is refused as the daily limit, not answered as a duplicate.
      if (tx.oncePerDay && store.awardedToday(tx, business.timezone)) {
        const day = calendarDay((options.now ?? Date.now)(), business.timezone)
        return reply.code(400).send(dailyLimitBody(options.dailyLimitAnswer ?? 'error_codes', tx.perk, day))
      }
      const result = store.insertTransaction(tx, perk, behaviour.current.dedup)
      if (result.kind === 'exists') {
        activity.duplicates++
        return duplicateAnswer(reply, behaviour.current.duplicateAnswer, result.row, tx.transSourceId ?? '')
      }
      const after = faults.afterCommit()
      if (after !== 'none') activity.injected.commit_then_fail++
      switch (after) {
        case 'error':
          return reply
            .code(500)
            .send({ detail: 'injected fault: HTTP 500 after the transaction was recorded' })
        case 'disconnect':
          reply.hijack()
          request.raw.socket.destroy()
          return reply
        case 'hang':
          return activity.hang(request, reply)
        case 'none':
          break
      }
      return reply
        .code(201)
        .header('location', transactionResource(result.row).resource_uri)
        .send(transactionResource(result.row))
    },
  )
}

/** A POST whose trans_source_id the business already has, answered in the configured way. */
function duplicateAnswer(reply: FastifyReply, answer: DuplicateAnswer, row: TransactionRow, key: string) {
  const existing = transactionResource(row)
  const message = `A transaction with trans_source_id ${JSON.stringify(key)} already exists`
  switch (answer) {
    case '409':
      return reply.code(409).send({ detail: message, id: existing.id, resource_uri: existing.resource_uri })
    case '400':
      // Perkville's documented error shape; it documents no code for this, so the code is the sandbox's.
      return reply.code(400).send({
        status: 'failure',
        error_codes: [{ code: 'DUPLICATE_TRANS_SOURCE_ID', message }],
        errors: [message],
      })
    case 'existing':
      return reply.code(200).send(existing)
  }
}

function authenticate(tokens: ApiOptions['tokens'], request: FastifyRequest, reply: FastifyReply) {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')
  const grant = match?.[1] ? tokens(match[1]) : undefined
  if (!grant) {
    return reply
      .code(401)
      .header('www-authenticate', 'Bearer error="invalid_token"')
      .send({
        error: 'invalid_token',
        error_description: match ? 'The access token is invalid or expired.' : 'An access token is required.',
      })
  }
  request.grant = grant
}

/** A route hook: the token must have this scope (checked before the query, as Perkville does). */
function scopeCheck(scope: Scope) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.grant?.scopes.includes(scope)) return
    return reply.code(403).send({
      error: 'insufficient_scope',
      error_description: `The access token lacks the ${scope} scope.`,
    })
  }
}

/** A token administers some businesses only (a token of another Perkville account answers 403). */
function requireBusiness(
  request: FastifyRequest,
  reply: FastifyReply,
  business: number | undefined,
): boolean {
  const allowed = request.grant?.businesses
  if (business === undefined || allowed === null || allowed === undefined || allowed.includes(business))
    return true
  void reply.code(403).send({
    error: 'insufficient_scope',
    error_description: `The access token may not act for business ${business}.`,
  })
  return false
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref())
}
