import type { FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify'
import { z } from 'zod'
import type { Page } from './store.js'

const DEFAULT_LIMIT = 20
const MAX_LIMIT = 1000

/** A repeated parameter counts once, by its first value (as Tastypie reads it). */
const first = (value: unknown) => (Array.isArray(value) ? value[0] : value)

const count = (min: number, max: number) =>
  z.unknown().transform((given, ctx): number => {
    const raw = first(given)
    const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : Number.NaN
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `must be an integer from ${min} to ${max}` })
      return z.NEVER
    }
    return n
  })

/** A positive integer id, e.g. a business. */
export const id = z.unknown().transform((given, ctx): number => {
  const raw = first(given)
  const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : Number.NaN
  if (!Number.isSafeInteger(n) || n <= 0) {
    ctx.addIssue({ code: 'custom', message: `must be a positive integer id, got ${JSON.stringify(raw)}` })
    return z.NEVER
  }
  return n
})

const filterText = z.unknown().transform((given): string => String(first(given)))

/** The query of every list: paging, the business filter, and the text filters some lists have. */
export const listQuery = z.object({
  limit: count(1, MAX_LIMIT).default(DEFAULT_LIMIT),
  offset: count(0, Number.MAX_SAFE_INTEGER).default(0),
  business: id.optional(),
  user__emails__email: filterText.optional(),
  trans_source_id: filterText.optional(),
})

export type ListQuery = z.output<typeof listQuery>

/** Paging and the output format are no filters: every list takes them. */
const PAGING = ['limit', 'offset', 'format']

/**
 * A route hook: the list takes only the filters Perkville documents for it (`allowed()` is read per
 * request, so a behaviour change applies at once). Any other is refused as Tastypie refuses a field
 * it does not filter on: 400 `{"error": "The 'x' field does not allow filtering."}`.
 */
export function onlyFilters(allowed: () => readonly string[]) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const known = new Set([...PAGING, ...allowed()])
    const query = (request.query ?? {}) as Record<string, unknown>
    const refused = Object.keys(query).find((key) => !known.has(key))
    if (refused === undefined) return
    const field = refused.split('__')[0] ?? refused
    return reply.code(400).send({ error: `The '${field}' field does not allow filtering.` })
  }
}

/** A query that failed its schema: answered 400 as Tastypie does, `{"errors": {field: [message]}}`. */
export class QueryError extends Error {
  readonly statusCode = 400
  constructor(readonly errors: Record<string, string[]>) {
    super('invalid query')
    this.name = 'QueryError'
  }
}

export function queryError(problems: readonly FastifySchemaValidationError[]): QueryError {
  const errors: Record<string, string[]> = {}
  for (const problem of problems) {
    const field = problem.instancePath.replace(/^\//, '') || '__all__'
    errors[field] = [...(errors[field] ?? []), problem.message ?? 'is not valid']
  }
  return new QueryError(errors)
}

/** A Tastypie-style page; `next`/`previous` keep the request's own filters. */
export function listPage<R, T>(
  request: FastifyRequest,
  page: Page<R>,
  paging: { limit: number; offset: number },
  toResource: (row: R) => T,
) {
  const i = request.url.indexOf('?')
  const path = i === -1 ? request.url : request.url.slice(0, i)
  const search = i === -1 ? '' : request.url.slice(i + 1)
  const link = (offset: number) => {
    const q = new URLSearchParams(search)
    q.set('limit', String(paging.limit))
    q.set('offset', String(offset))
    return `${path}?${q.toString()}`
  }
  const { limit, offset } = paging
  return {
    meta: {
      limit,
      next: offset + limit < page.total ? link(offset + limit) : null,
      offset,
      previous: offset > 0 ? link(Math.max(0, offset - limit)) : null,
      total_count: page.total,
    },
    objects: page.rows.map(toResource),
  }
}
