/** Segment's HTTP Tracking API limits (segment-ingest.md); 1 KB = 1024 bytes. */
export const EVENT_LIMIT_BYTES = 32 * 1024
export const REQUEST_LIMIT_BYTES = 500 * 1024
export const BATCH_LIMIT_EVENTS = 2500

/**
 * How much Fastify reads off the socket before giving up. Larger than the 500 KB limit so bodies just
 * over it are read and measured exactly in the message; beyond this the reading stops and the answer
 * still names the 500 KB limit.
 */
export const RAW_BODY_LIMIT_BYTES = 1024 * 1024

/**
 * Request body bytes the service works on at once (body-budget.ts). Each byte costs about 4–5 in
 * memory until its answer is sent, so 8 MB keeps bursts of large batches to ~40 MB; bench:ingest's
 * 8 connections of 100-event batches hold ~0.25 MB and never wait.
 */
export const IN_FLIGHT_BODY_BYTES = 8 * 1024 * 1024
