import { readFileSync } from 'node:fs'
import { z } from 'zod'
import type { InputProblem } from './record.js'

/**
 * How a CSV row becomes a Segment track event. One schema defines the JSON mapping file and the
 * `--map key=value` options alike; every value except `event`, `refundEvent`, `refundValues`,
 * `refundWhenNegative` and `delimiter` names a column of the header.
 */
const column = z.string().trim().min(1, 'must name a column')

export const mappingSchema = z
  .object({
    event: z.string().trim().min(1).optional().describe('a fixed event name for every row'),
    eventColumn: column.optional().describe('the column holding the event name'),
    email: column.describe('the column holding the customer email'),
    userId: column.optional().describe('the column holding the user id (default: the email)'),
    orderId: column.optional().describe('the column holding the order id'),
    revenue: column.optional().describe('the column holding the order amount'),
    timestamp: column.optional().describe('the column holding when it happened'),
    messageId: column.optional().describe('a column with a unique id per row (default: derived)'),
    refundColumn: column.optional().describe('a column whose value marks a refund'),
    refundValues: z
      .array(z.string().trim().min(1))
      .optional()
      .describe('values of refundColumn that mean refund (case-insensitive)'),
    refundWhenNegative: z.boolean().optional().describe('a negative amount marks a refund'),
    refundEvent: z.string().trim().min(1).optional().describe('the event name of refund rows'),
    refundAmount: column.optional().describe('the column holding the refunded amount (default: revenue)'),
    delimiter: z.string().min(1).max(4).optional().describe('field separator (default ",")'),
  })
  .strict()
  .superRefine((m, ctx) => {
    if ((m.event === undefined) === (m.eventColumn === undefined))
      ctx.addIssue({ code: 'custom', message: 'give exactly one of event (a fixed name) and eventColumn' })
    const marksRefund = m.refundColumn !== undefined || m.refundWhenNegative === true
    if (marksRefund && m.refundEvent === undefined)
      ctx.addIssue({ code: 'custom', message: 'refundEvent is required when refunds are marked' })
    if (m.refundColumn !== undefined && (m.refundValues?.length ?? 0) === 0)
      ctx.addIssue({ code: 'custom', message: 'refundValues is required with refundColumn' })
    if (m.refundEvent !== undefined && !/refund/i.test(m.refundEvent))
      ctx.addIssue({
        code: 'custom',
        message: `refundEvent ${JSON.stringify(m.refundEvent)} must contain "refund": only such names take points back`,
      })
  })

export type Mapping = z.output<typeof mappingSchema>

/** The keys of the mapping, for help texts and messages. */
export const MAPPING_KEYS = Object.keys(mappingSchema.shape) as Array<keyof Mapping>

export class MappingError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid CSV mapping: ${problems.join('; ')}`)
    this.name = 'MappingError'
  }
}

/** The mapping file (if any) with `--map key=value` pairs applied over it, validated. */
export function loadMapping(file: string | undefined, pairs: string[]): Mapping {
  let base: Record<string, unknown> = {}
  if (file !== undefined) {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      throw new MappingError([`cannot read mapping file ${file}: ${(err as NodeJS.ErrnoException).code}`])
    }
    try {
      const parsed: unknown = JSON.parse(text)
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new MappingError([`mapping file ${file} must hold a JSON object`])
      base = parsed as Record<string, unknown>
    } catch (err) {
      if (err instanceof MappingError) throw err
      throw new MappingError([`mapping file ${file} is not valid JSON (${(err as Error).message})`])
    }
  }
  const problems: string[] = []
  for (const pair of pairs) {
    const at = pair.indexOf('=')
    const key = at < 0 ? pair : pair.slice(0, at)
    if (at < 0 || !(MAPPING_KEYS as string[]).includes(key)) {
      problems.push(
        `--map ${JSON.stringify(pair)}: expected KEY=VALUE with KEY one of ${MAPPING_KEYS.join(', ')}`,
      )
      continue
    }
    const value = pair.slice(at + 1)
    base[key] =
      key === 'refundValues'
        ? value.split(',').map((v) => v.trim())
        : key === 'refundWhenNegative'
          ? /^(true|1|yes|on)$/i.test(value)
          : value
  }
  if (problems.length > 0) throw new MappingError(problems)
  const result = mappingSchema.safeParse(base)
  if (!result.success)
    throw new MappingError(
      result.error.issues.map((issue) =>
        issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message,
      ),
    )
  return result.data
}

/** Every column the mapping names, with the key that names it. */
function mappedColumns(m: Mapping): Array<[keyof Mapping, string]> {
  const keys: Array<keyof Mapping> = [
    'eventColumn',
    'email',
    'userId',
    'orderId',
    'revenue',
    'timestamp',
    'messageId',
    'refundColumn',
    'refundAmount',
  ]
  return keys.flatMap((key) => (typeof m[key] === 'string' ? [[key, m[key] as string]] : []))
}

/** Problems with the header: each mapped column that is missing, with the columns that exist. */
export function headerProblems(m: Mapping, header: string[]): string[] {
  const present = new Set(header)
  const missing = mappedColumns(m).filter(([, name]) => !present.has(name))
  return missing.map(
    ([key, name]) =>
      `${key} names column ${JSON.stringify(name)}, which the header does not have (columns: ${header
        .map((h) => JSON.stringify(h))
        .join(', ')})`,
  )
}

/** One row as a Segment track event, or the problem that keeps it from being one. */
export function rowToEvent(
  m: Mapping,
  row: Record<string, string | undefined>,
): { event: Record<string, unknown> } | { problem: InputProblem } {
  const cell = (name: string | undefined): string | undefined => {
    if (name === undefined) return undefined
    const value = row[name]?.trim()
    return value === undefined || value === '' ? undefined : value
  }
  let name = m.event ?? cell(m.eventColumn)
  if (name === undefined)
    return {
      problem: { code: 'MISSING_EVENT_NAME', message: `column ${JSON.stringify(m.eventColumn)} is empty` },
    }
  let amount = cell(m.revenue)
  if (isRefund(m, cell(m.refundColumn), amount)) {
    name = m.refundEvent!
    amount = cell(m.refundAmount) ?? amount
  }
  const email = cell(m.email)
  const properties: Record<string, unknown> = {}
  if (email !== undefined) properties.email = email
  const orderId = cell(m.orderId)
  if (orderId !== undefined) properties.order_id = orderId
  if (amount !== undefined) properties.revenue = amount
  const event: Record<string, unknown> = { type: 'track', event: name, properties }
  // Segment drops events with neither userId nor anonymousId; the email is the natural stand-in.
  const userId = cell(m.userId) ?? email
  if (userId !== undefined) event.userId = userId
  const rawTime = cell(m.timestamp)
  if (rawTime !== undefined) {
    const iso = isoTimestamp(rawTime)
    if (iso === null)
      return {
        problem: {
          code: 'INVALID_TIMESTAMP',
          message: `column ${JSON.stringify(m.timestamp)} is ${JSON.stringify(rawTime.slice(0, 40))}, not a date-time such as 2024-03-05 14:22:01 or 2024-03-05T14:22:01-05:00`,
        },
      }
    event.timestamp = iso
  }
  const messageId = cell(m.messageId)
  if (messageId !== undefined) event.messageId = messageId
  return { event }
}

function isRefund(m: Mapping, marker: string | undefined, amount: string | undefined): boolean {
  if (marker !== undefined && m.refundValues?.some((v) => v.toLowerCase() === marker.toLowerCase()))
    return true
  return m.refundWhenNegative === true && amount !== undefined && /^\s*-/.test(amount)
}

const ISO_LIKE =
  /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?))?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/i

/**
 * An ISO 8601 date-time as exported by shops and check-in systems, normalised to UTC. A time without
 * a zone is read as UTC, never as this machine's zone: the event's content (and so its derived
 * messageId) must not depend on where the import runs.
 */
export function isoTimestamp(text: string): string | null {
  const match = ISO_LIKE.exec(text.trim())
  if (!match) return null
  const [, date, time = '00:00', zone] = match
  let offset = 'Z'
  if (zone !== undefined && /^[+-]/.test(zone)) {
    const digits = zone.replace(':', '')
    offset = `${digits.slice(0, 3)}:${digits.slice(3, 5) || '00'}`
    if (Number(offset.slice(1, 3)) > 23 || Number(offset.slice(4)) > 59) return null
  }
  // Date.parse rolls an impossible date over (2025-02-30 becomes 2025-03-02): refuse it instead.
  const [y, mo, d] = date!.split('-').map(Number) as [number, number, number]
  const [h, mi, sec = 0] = time.split(':').map((part) => Number.parseFloat(part.replace(',', '.'))) as [
    number,
    number,
    number?,
  ]
  const day = new Date(Date.UTC(y, mo - 1, d))
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) return null
  if (h > 23 || mi > 59 || sec >= 60) return null
  const ms = Date.parse(`${date}T${time.replace(',', '.')}${offset}`)
  return Number.isNaN(ms) ? null : new Date(ms).toISOString()
}
