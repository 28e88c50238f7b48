import type { ServerOptions } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify'

/** How long a client may take: to send its headers, and its whole request (headers and body). */
export interface HttpTimeouts {
  headersMs: number
  requestMs: number
}

/**
 * Bounds on slow clients, enforced by Node's HTTP server: past either one the client gets a 408 in
 * the service's error shape and the connection is closed, so a body trickled byte by byte cannot
 * hold a connection (and its memory) for ever. Node checks open connections periodically; checking
 * at a quarter of the shorter bound (at most every second) keeps the overshoot small.
 */
export function timeoutOptions(
  t: HttpTimeouts,
  log: FastifyBaseLogger,
): Pick<FastifyServerOptions, 'requestTimeout' | 'clientErrorHandler'> & { http: ServerOptions } {
  const checkEveryMs = Math.max(25, Math.min(1_000, Math.floor(Math.min(t.headersMs, t.requestMs) / 4)))
  return {
    // Fastify copies requestTimeout onto the server after creating it; the rest go to http.createServer.
    requestTimeout: t.requestMs,
    http: {
      headersTimeout: t.headersMs,
      requestTimeout: t.requestMs,
      connectionsCheckingInterval: checkEveryMs,
    },
    clientErrorHandler(err: Error & { code?: string }, socket: Socket) {
      if (err.code === 'ECONNRESET' || socket.destroyed) return
      const [status, code, message] =
        err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [
              408,
              'REQUEST_TIMEOUT',
              `the request was not received in time (headers within ${t.headersMs} ms, the whole request within ${t.requestMs} ms); the connection is closed`,
            ]
          : err.code === 'HPE_HEADER_OVERFLOW'
            ? [431, 'HEADERS_TOO_LARGE', 'the request headers are too large']
            : [400, 'BAD_REQUEST', 'the request is not valid HTTP']
      log.info({ status, code }, 'client error: answered and closed the connection')
      if (socket.writable) {
        const body = JSON.stringify({ success: false, error: message, code })
        socket.write(
          `HTTP/1.1 ${status} ${status === 408 ? 'Request Timeout' : status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        )
      }
      socket.destroy()
    },
  }
}
