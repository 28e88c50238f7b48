import type { FastifyPluginAsync } from 'fastify'
import type { SandboxActivity } from './activity.js'
import { type FaultInjector, FaultsError, parseFaults } from './faults.js'
import { transactionResource } from './resources.js'
import type { SandboxStore } from './store.js'

export interface ControlOptions {
  store: SandboxStore
  faults: FaultInjector
  activity: SandboxActivity
}

/** The sandbox's control plane, registered under /_sandbox: unauthenticated, as it is a test tool. */
export const controlRoutes: FastifyPluginAsync<ControlOptions> = async (app, { store, faults, activity }) => {
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
  app.post('/reset', async () => {
    store.reset()
    return { ok: true }
  })
  app.get('/stats', async () => activity.snapshot())
  app.get('/transactions', async () => ({ objects: store.allTransactions().map(transactionResource) }))
}
