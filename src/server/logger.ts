import pino, { type DestinationStream, type Logger } from 'pino'

/**
 * Paths pino blanks out wherever they appear in a log line. Fastify's own request serializer logs no
 * headers or bodies, and neither does our code; this is the safety net for an `err` or object that
 * carries one by accident.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-signature"]',
  'request.headers.authorization',
  'headers.authorization',
  'headers["x-signature"]',
  // The console's session cookie and CSRF token are as good as the admin token while they last.
  'req.headers.cookie',
  'request.headers.cookie',
  'headers.cookie',
  'headers["set-cookie"]',
  'headers["x-csrf-token"]',
  'cookie',
  'csrfToken',
  '*.csrfToken',
  'authorization',
  'writeKey',
  'writeKeys',
  '*.writeKey',
  '*.writeKeys',
  'adminToken',
  '*.adminToken',
  'webhookSecret',
  '*.webhookSecret',
  'apiKey',
  '*.apiKey',
  'token',
  '*.token',
  'body',
  '*.body',
]

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    name: 'perkville-destination',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  }
  return destination ? pino(options, destination) : pino(options)
}
