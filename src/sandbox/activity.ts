import type { Socket } from 'node:net'
import type { FastifyReply, FastifyRequest } from 'fastify'

/**
 * What the sandbox did, for the chaos harness and tests (`GET /_sandbox/stats`), and the requests
 * it leaves hanging on purpose (closing the server must still end them).
 */
export class SandboxActivity {
  apiRequests = 0
  /** POSTs whose trans_source_id the business already had (answered as the behaviour says). */
  duplicates = 0
  readonly injected = { outage: 0, error: 0, rate_limit: 0, hang: 0, commit_then_fail: 0 }
  private readonly hung = new Set<Socket>()

  /** Never answers: the connection stays open until the client gives up or the server closes. */
  hang(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    reply.hijack()
    const socket = request.raw.socket
    this.hung.add(socket)
    socket.once('close', () => this.hung.delete(socket))
    return reply
  }

  closeHung(): void {
    for (const socket of this.hung) socket.destroy()
    this.hung.clear()
  }

  snapshot() {
    return {
      apiRequests: this.apiRequests,
      duplicates: this.duplicates,
      injected: { ...this.injected },
      hungOpen: this.hung.size,
    }
  }
}
