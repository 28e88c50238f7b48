/**
 * An error that becomes an HTTP answer `{"success":false,"error":message}`. Messages are written for
 * the sender and never contain secrets or request bodies.
 */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly code: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
    this.name = 'HttpError'
  }
}

export const badRequest = (code: string, message: string) => new HttpError(400, message, code)
export const unauthorized = (message: string) => new HttpError(401, message, 'UNAUTHORIZED')

/** Seconds a client should wait before trying again when storage cannot be used. */
const RETRY_AFTER_SECONDS = 5

/** 503 with Retry-After: storage cannot be used right now; nothing was done. */
export const storageUnavailable = (message: string) =>
  new HttpError(503, message, 'STORAGE_UNAVAILABLE', { 'retry-after': String(RETRY_AFTER_SECONDS) })
