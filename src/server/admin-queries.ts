import { z } from 'zod'
import { EVENT_STATUSES, EVENTS_PAGE, type EventStatus } from '../pipeline/service-api.js'
import { parseDuration } from './duration.js'
import { badRequest, type HttpError } from './http-error.js'

/** A time as ISO 8601 or epoch milliseconds, to epoch ms. */
const time = (name: string) =>
  z.unknown().transform((value, ctx): number => {
    const ms =
      typeof value === 'number'
        ? value
        : typeof value === 'string' && /^\s*\d+\s*$/.test(value)
          ? Number(value)
          : typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value.trim())
            ? Date.parse(value)
            : Number.NaN
    if (!Number.isFinite(ms)) {
      ctx.addIssue({
        code: 'custom',
        message: `${name} must be an ISO 8601 time or epoch milliseconds, got ${show(value)}`,
      })
      return z.NEVER
    }
    return ms
  })

const optionalText = (name: string, max: number) =>
  z.unknown().transform((value, ctx): string => {
    if (typeof value !== 'string' || value.trim() === '' || value.length > max) {
      ctx.addIssue({
        code: 'custom',
        message: `${name} must be a non-empty string of at most ${max} characters`,
      })
      return z.NEVER
    }
    return value.trim()
  })

export const statsQuery = z
  .object({
    from: time('from').optional(),
    to: time('to').optional(),
    bucket: z
      .unknown()
      .transform((value, ctx): number => {
        const ms = parseDuration(value)
        if (ms === null || ms < 1000) {
          ctx.addIssue({
            code: 'custom',
            message: `bucket must be a duration of at least 1s such as "5m", "1h", got ${show(value)}`,
          })
          return z.NEVER
        }
        return ms
      })
      .optional(),
  })
  .strict()

const status = z.unknown().transform((value, ctx) => {
  if (typeof value === 'string' && (EVENT_STATUSES as readonly string[]).includes(value)) {
    return value as EventStatus
  }
  ctx.addIssue({
    code: 'custom',
    message: `status must be one of ${EVENT_STATUSES.join(', ')}, got ${show(value)}`,
  })
  return z.NEVER
})

/** What picks events, in a search, a replay preview and a replay alike. */
const searchFields = {
  q: optionalText('q', 254).optional(),
  status: status.optional(),
  code: optionalText('code', 100).optional(),
  kind: optionalText('kind', 50).optional(),
  email: optionalText('email', 254).optional(),
  messageId: optionalText('messageId', 200).optional(),
  orderId: optionalText('orderId', 200).optional(),
  from: time('from').optional(),
  to: time('to').optional(),
}

/** GET /admin/replay/preview: the search's filters, no paging. */
export const replayPreviewQuery = z.object(searchFields).strict()

/** POST /admin/refused/redecide: the search's text, code and time filters; dryRun previews. */
export const redecideBody = z.preprocess(
  (value) => value ?? {},
  z
    .object({
      q: searchFields.q,
      code: searchFields.code,
      from: searchFields.from,
      to: searchFields.to,
      dryRun: z.boolean().optional(),
    })
    .strict(),
)

/** GET /admin/overview and /admin/errors: a range, the last day by default. */
export const rangeQuery = z.object({ from: time('from').optional(), to: time('to').optional() }).strict()

/** GET /admin/live: `errors=1` for rejects, failures and parked events only. */
export const liveQuery = z.object({ errors: z.enum(['0', '1']).optional() }).strict()

/** POST /admin/test-event. */
export const testEventBody = z.preprocess(
  (value) => value ?? {},
  z
    .object({
      event: z.unknown().refine((v) => v !== undefined, 'event is required: the event JSON to decide'),
      send: z.boolean().optional(),
    })
    .strict(),
)

export const eventsQuery = z
  .object({
    ...searchFields,
    limit: z
      .unknown()
      .transform((value, ctx): number => {
        const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > EVENTS_PAGE.max) {
          ctx.addIssue({
            code: 'custom',
            message: `limit must be an integer from 1 to ${EVENTS_PAGE.max}, got ${show(value)}`,
          })
          return z.NEVER
        }
        return n
      })
      .optional(),
    cursor: optionalText('cursor', 500).optional(),
  })
  .strict()

/** An empty body reads as {}, so a missing range is answered field by field. */
export const replayBody = z.preprocess(
  (value) => value ?? {},
  z
    .object({
      ...searchFields,
      from: time('from'),
      to: time('to'),
      reason: optionalText('reason', 100).optional(),
    })
    .strict(),
)

/** One problem as fastify-type-provider-zod reports it (a zod issue in Ajv's shape). */
interface SchemaProblem {
  keyword: string
  instancePath: string
  message?: string
  params?: { keys?: string[] }
}

/**
 * The 400 of a route whose query or body failed its schema: every problem, each naming its field,
 * and unknown parameters by name. Installed as the admin plugin's schema error formatter.
 */
export function schemaError(problems: readonly SchemaProblem[], dataVar: string): HttpError {
  const where = dataVar === 'querystring' ? 'query' : dataVar
  const texts = problems.map((problem) => {
    const field = problem.instancePath.replace(/^\//, '').replaceAll('/', '.')
    if (problem.keyword === 'unrecognized_keys') {
      return `unknown ${where} parameter(s): ${(problem.params?.keys ?? []).join(', ')}`
    }
    if (problem.keyword === 'invalid_type' && field !== '') return `${field} is required`
    if (problem.keyword === 'invalid_type') return `the ${where} must be a JSON object`
    return problem.message ?? `${field} is not valid`
  })
  return badRequest('INVALID_REQUEST', `invalid ${where}: ${texts.join('; ')}`)
}

export function checkRange(from: number, to: number): void {
  if (from >= to)
    throw badRequest(
      'INVALID_REQUEST',
      `from (${new Date(from).toISOString()}) must be before to (${new Date(to).toISOString()})`,
    )
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)
  if (value === undefined) return 'nothing'
  return typeof value === 'object' ? 'an object' : String(value)
}
