/**
 * The entry of the Destination Function bundle (scripts/build-function.mjs). Segment's runtime
 * provides `fetch` and these error classes as globals; the handlers look them up per call.
 */
import { createHandlers } from './handlers.js'
import type { ErrorClass, FetchLike } from './runtime.js'

declare const EventNotSupported: ErrorClass
declare const InvalidEventPayload: ErrorClass
declare const ValidationError: ErrorClass
declare const RetryError: ErrorClass
declare const fetch: FetchLike

export const { onTrack, onIdentify, onPage, onScreen, onGroup, onAlias } = createHandlers(() => ({
  errors: { EventNotSupported, InvalidEventPayload, ValidationError, RetryError },
  fetch: (url, init) => fetch(url, init),
}))
