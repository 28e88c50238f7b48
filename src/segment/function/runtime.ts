/**
 * What a Segment Destination Function gets from its runtime, as the handlers use it. Only the parts
 * used are typed, so the real runtime, a test's vm context and Node itself all fit.
 */
export type ErrorClass = new (message: string) => Error

export interface FunctionErrors {
  /** Discarded, shown as "not supported" (an event type or name this destination does not handle). */
  EventNotSupported: ErrorClass
  /** Discarded: the event itself is unusable. */
  InvalidEventPayload: ErrorClass
  /** Discarded: the settings or Perkville refused it; retrying would not help. */
  ValidationError: ErrorClass
  /** Retried by Segment with backoff. */
  RetryError: ErrorClass
}

export interface FetchAnswer {
  status: number
  headers: { get(name: string): string | null }
  text(): Promise<string>
}

export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string },
) => Promise<FetchAnswer>

export interface FunctionRuntime {
  errors: FunctionErrors
  fetch: FetchLike
}
