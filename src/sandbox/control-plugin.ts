import type { FastifyPluginAsync } from 'fastify'
import type { SandboxActivity } from './activity.js'
import { BehaviourError, parseBehaviour, type ResolvedBehaviour } from './behaviour.js'
import { type FaultInjector, FaultsError, parseFaults } from './faults.js'
import { transactionResource } from './resources.js'
import type { SandboxStore } from './store.js'

export interface ControlOptions {
  store: SandboxStore
  faults: FaultInjector
  activity: SandboxActivity
  behaviour: { current: ResolvedBehaviour }
}

/** The sandbox's control plane, registered under /_sandbox: unauthenticated, as it is a test tool. */
export const controlRoutes: FastifyPluginAsync<ControlOptions> = async (
  app,
  { store, faults, activity, behaviour },
) => {
  app.get('/faults', async () => faults.get())
  app.put('/faults', async (request, reply) => {
    try {
      faults.set(parseFaults(request.body ?? {}))
    } catch (err) {
      if (err instanceof FaultsError)
        return reply.code(400).send({ error: 'invalid faults', problems: err.problems })
      throw err
    }
    return faults.get()
  })
  app.get('/behaviour', async () => behaviour.current)
  app.put('/behaviour', async (request, reply) => {
    try {
      behaviour.current = parseBehaviour(request.body ?? {})
    } catch (err) {
      if (err instanceof BehaviourError)
        return reply.code(400).send({ error: 'invalid behaviour', problems: err.problems })
      throw err
    }
    return behaviour.current
  })
  app.post('/reset', async () => {
    store.reset()
    return { ok: true }
  })
  app.get('/stats', async () => activity.snapshot())
  app.get('/transactions', async () => ({ objects: store.allTransactions().map(transactionResource) }))
}
