/**
 * The sandbox's HTTP server: Perkville's v2 API under /v2 (api-plugin.ts: fault injection, bearer
 * auth, the routes) and the control plane under /_sandbox (control-plugin.ts), plus /healthz.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import { SandboxActivity } from './activity.js'
import { apiRoutes } from './api-plugin.js'
import type { ResolvedBehaviour } from './behaviour.js'
import { controlRoutes } from './control-plugin.js'
import type { DailyLimitAnswer } from './daily-limit.js'
import type { FaultInjector } from './faults.js'
import { IssuedTokens } from './issued-tokens.js'
import { QueryError } from './list-query.js'
import { notFound } from './not-found.js'
import type { SeedClient, SeedUser, TokenGrant } from './seed.js'
import type { SandboxStore } from './store.js'
import { tokenRoutes } from './token-plugin.js'

export interface AppDeps {
  store: SandboxStore
  faults: FaultInjector
  tokens: Map<string, TokenGrant>
  /** Who may get a token from `POST /api/token/`. */
  accounts?: { clients: readonly SeedClient[]; users: readonly SeedUser[] }
  behaviour: { current: ResolvedBehaviour }
  logger: boolean
  dailyLimitAnswer?: DailyLimitAnswer
  now?: () => number
}

export function buildApp({
  store,
  faults,
  tokens,
  accounts,
  behaviour,
  logger,
  ...daily
}: AppDeps): FastifyInstance {
  const app = Fastify({ logger, forceCloseConnections: true, bodyLimit: 1024 * 1024 })
  const activity = new SandboxActivity()
  app.addHook('onClose', async () => activity.closeHung())
  app.decorateRequest('grant', null)

  app.setNotFoundHandler(notFound)
  app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) => {
    if (error instanceof QueryError) return reply.code(400).send({ errors: error.errors })
    const status =
      error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500
    if (status === 500) app.log.error(error)
    return reply
      .code(status)
      .send(status === 500 ? { detail: 'internal error' } : { errors: { __all__: [error.message] } })
  })

  app.get('/healthz', async () => ({ ok: true }))
  const issued = new IssuedTokens(store)
  const lookup = (token: string) => tokens.get(token) ?? issued.grant(token)
  void app.register(apiRoutes, {
    prefix: '/v2',
    store,
    faults,
    tokens: lookup,
    activity,
    behaviour,
    ...daily,
  })
  void app.register(tokenRoutes, { prefix: '/api', clients: [], users: [], ...accounts, issued })
  void app.register(controlRoutes, { prefix: '/_sandbox', store, faults, activity, behaviour })
  return app
}
