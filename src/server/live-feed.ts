import type { FastifyReply, FastifyRequest } from 'fastify'
import type { DeliveryService, LiveEvent } from '../pipeline/service-api.js'

/** A comment line every so often keeps proxies from closing an idle stream. */
export const HEARTBEAT_MS = 15_000
/** Bytes a client may leave unread; past this its events are dropped (and counted) until it reads. */
export const MAX_UNREAD_BYTES = 64 * 1024

const ERROR_STATUSES: ReadonlySet<string> = new Set(['rejected', 'failed', 'parked'])

/**
 * The live feed's open streams (server-sent events). Each client has a bounded buffer: a slow reader
 * misses events (told how many in a `gap` event once it catches up) instead of growing memory.
 */
export class LiveStreams {
  private readonly closers = new Set<() => void>()

  open(
    request: FastifyRequest,
    reply: FastifyReply,
    service: DeliveryService,
    opts: { errorsOnly: boolean; heartbeatMs?: number },
  ): void {
    reply.hijack()
    const res = reply.raw
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    })
    res.write(': live events\n\n')
    let missed = 0
    const send = (text: string) => {
      if (res.writableLength > MAX_UNREAD_BYTES) {
        missed++
        return
      }
      if (missed > 0) {
        res.write(`event: gap\ndata: ${JSON.stringify({ missed })}\n\n`)
        missed = 0
      }
      res.write(text)
    }
    const unsubscribe = service.onEvent((event: LiveEvent) => {
      if (opts.errorsOnly && !ERROR_STATUSES.has(event.status)) return
      send(`event: event\ndata: ${JSON.stringify(event)}\n\n`)
    })
    const heartbeat = setInterval(() => {
      if (res.writableLength <= MAX_UNREAD_BYTES) res.write(': heartbeat\n\n')
    }, opts.heartbeatMs ?? HEARTBEAT_MS)
    heartbeat.unref()
    const close = () => {
      clearInterval(heartbeat)
      unsubscribe()
      this.closers.delete(close)
      if (!res.writableEnded) res.end()
    }
    this.closers.add(close)
    request.raw.on('close', close)
    res.on('error', close)
  }

  /** Ends every stream (shutdown). */
  closeAll(): void {
    for (const close of [...this.closers]) close()
  }
}
