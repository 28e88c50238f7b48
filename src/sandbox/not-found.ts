import type { FastifyReply, FastifyRequest } from 'fastify'

/** The sandbox's 404: JSON naming the route, as Perkville answers an unknown path. */
export function notFound(request: FastifyRequest, reply: FastifyReply): void {
  void reply.code(404).send({ detail: `no route for ${request.method} ${request.url.split('?')[0]}` })
}
