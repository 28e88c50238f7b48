import { MAX_EMAIL_LENGTH } from '../core/email.js'

/** Segment's HTTP Tracking API limits (segment-ingest.md); 1 KB = 1024 bytes. */
export const EVENT_LIMIT_BYTES = 32 * 1024
export const REQUEST_LIMIT_BYTES = 500 * 1024
export const BATCH_LIMIT_EVENTS = 2500

/**
 * The longest path parameter (decoded) the router passes on: four times the longest a route takes (an
 * email, 254 characters), so a too-long address gets the route's own 400 naming the limit. Fastify's
 * default of 100 answered 414 for customers whose longer addresses had been delivered.
 */
export const MAX_PATH_PARAM_CHARS = 4 * MAX_EMAIL_LENGTH

/**
 * How much Fastify reads off the socket before giving up. Larger than the 500 KB limit so bodies just
 * over it are read and measured exactly in the message; beyond this the reading stops and the answer
 * still names the 500 KB limit.
 */
export const RAW_BODY_LIMIT_BYTES = 1024 * 1024

/**
 * Request body bytes the service works on at once (body-budget.ts). Each byte costs about 4–5 in
 * memory until its answer is sent: 64 clients sending 445 KB batches peaked at 185–354 MB RSS with no
 * bound, 193–199 MB with 8 MB and 179–188 MB with 4 MB, at the same events/s and CPU per event.
 * bench:ingest's 8 connections of 100-event batches hold ~0.25 MB and never wait.
 */
export const IN_FLIGHT_BODY_BYTES = 4 * 1024 * 1024
