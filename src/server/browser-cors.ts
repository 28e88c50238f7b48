import type { FastifyCorsOptions } from '@fastify/cors'

/**
 * CORS for the routes browsers call directly (tracking, beacon, analytics.js and RudderStack
 * settings). Any origin may call them: they are authenticated by the write key, never by cookies.
 * The preflight allows exactly the headers the browser asks for (`allowedHeaders` left unset makes
 * @fastify/cors reflect Access-Control-Request-Headers), because each SDK sends its own set
 * (analytics.js: Authorization, X-Retry-Count; RudderStack: AnonymousId, SentAt, Rsa-*) and a fixed
 * list silently breaks the next one. The admin API never registers this: other origins stay out.
 */
export const browserCors: FastifyCorsOptions = {
  origin: '*',
  methods: ['GET', 'POST', 'OPTIONS'],
  maxAge: 86_400,
  strictPreflight: false,
}
