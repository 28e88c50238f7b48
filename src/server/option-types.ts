import { z } from 'zod'
import { looksLikeEmail } from '../core/email.js'
import { isDatabaseUrl } from '../pipeline/storage/postgres-url.js'
import { parseDuration } from './duration.js'
import { proxyEntryProblem } from './proxy-trust.js'

/**
 * The value types of the service's options. Each reads what an operator may write (command-line
 * text, environment text, JSON from the config file) and says what is wrong in words that fit after
 * "<option> (<source>): ". Secret types describe a bad value, never repeat it.
 */

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

type Ctx = z.RefinementCtx

function fail(ctx: Ctx, message: string): never {
  ctx.addIssue({ code: 'custom', message })
  return z.NEVER
}

export const integer = (min: number, max: number) =>
  z.unknown().transform((value, ctx): number => {
    const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      return fail(ctx, `must be an integer from ${min} to ${max}, got ${show(value)}`)
    }
    return n
  })

function readText(value: unknown, what: string, ctx: Ctx): string {
  if (typeof value !== 'string' || value.trim() === '') {
    return fail(ctx, `must be a non-empty ${what}, got ${show(value)}`)
  }
  return value.trim()
}

export const text = (what: string) => z.unknown().transform((value, ctx) => readText(value, what, ctx))

export const nullableText = (what: string) =>
  z.unknown().transform((value, ctx): string | null => (value === null ? null : readText(value, what, ctx)))

/** A secret is checked for shape only; the message says what kind of value it got, never the value. */
export const secret = (minLength: number) =>
  z.unknown().transform((value, ctx): string | null => {
    if (value === null) return null
    if (typeof value !== 'string') return fail(ctx, `must be a string, got ${kind(value)}`)
    if (value.length < minLength || /\s/.test(value)) {
      return fail(
        ctx,
        `must be at least ${minLength} characters without spaces (the given value has ${value.length})`,
      )
    }
    return value
  })

export const writeKeyList = z.unknown().transform((value, ctx): string[] => {
  const list = typeof value === 'string' ? value.split(',') : value
  if (!Array.isArray(list)) return fail(ctx, `must be a list of write keys, got ${kind(value)}`)
  const keys: string[] = []
  list.forEach((entry, index) => {
    if (typeof entry !== 'string') {
      ctx.addIssue({ code: 'custom', message: `entry ${index + 1} must be a string, got ${kind(entry)}` })
      return
    }
    const key = entry.trim()
    if (key === '') return
    // HTTP Basic puts the key before a colon, so a key containing one could never authenticate.
    if (key.includes(':') || /\s/.test(key)) {
      ctx.addIssue({ code: 'custom', message: `entry ${index + 1} must not contain ':' or spaces` })
      return
    }
    keys.push(key)
  })
  return [...new Set(keys)]
})

export const boolean = z.unknown().transform((value, ctx): boolean => {
  if (typeof value === 'boolean') return value
  if (typeof value === 'string') {
    const word = value.trim().toLowerCase()
    if (['true', '1', 'yes', 'on'].includes(word)) return true
    if (['false', '0', 'no', 'off'].includes(word)) return false
  }
  return fail(ctx, `must be true or false, got ${show(value)}`)
})

/** To milliseconds. */
export const duration = (min: number) =>
  z.unknown().transform((value, ctx): number => {
    const ms = parseDuration(value)
    if (ms === null || ms < min) {
      return fail(
        ctx,
        `must be a duration such as "30m", "4h", "7d" or milliseconds, at least ${min} ms; got ${show(value)}`,
      )
    }
    return ms
  })

export const httpUrl = z.unknown().transform((value, ctx): string | null => {
  if (value === null) return null
  if (typeof value === 'string') {
    try {
      const url = new URL(value)
      if (url.protocol === 'http:' || url.protocol === 'https:') return url.toString()
    } catch {}
  }
  return fail(ctx, `must be an http(s) URL, got ${show(value)}`)
})

/** Holds a password: a bad value is described, never repeated. */
export const databaseUrl = z.unknown().transform((value, ctx): string | null => {
  if (value === null) return null
  if (typeof value === 'string' && isDatabaseUrl(value.trim())) return value.trim()
  return fail(
    ctx,
    `must be a postgres:// (or postgresql://) URL, got ${typeof value === 'string' ? 'another text' : kind(value)}`,
  )
})

/** `--trust-proxy`: addresses, CIDR ranges or named ranges, comma-separated; `none` for no proxy. */
export const proxyAddresses = z.unknown().transform((value, ctx): string[] => {
  const list = typeof value === 'string' ? value.split(',') : value
  if (!Array.isArray(list)) return fail(ctx, `must be a list of proxy addresses, got ${kind(value)}`)
  const entries = list.map((entry) => (typeof entry === 'string' ? entry.trim() : entry))
  if (entries.length === 1 && entries[0] === 'none') return []
  for (const entry of entries) {
    const problem = typeof entry === 'string' ? proxyEntryProblem(entry) : 'is not a string'
    if (problem !== null) return fail(ctx, `${show(entry)} ${problem}`)
  }
  return entries as string[]
})

export const schemaName = z.unknown().transform((value, ctx): string => {
  if (typeof value === 'string' && /^[a-z_][a-z0-9_]{0,62}$/.test(value)) return value
  return fail(ctx, `must be a lower-case SQL identifier (letters, digits, underscore), got ${show(value)}`)
})

export const logLevel = z.unknown().transform((value, ctx): LogLevel => {
  const level = typeof value === 'string' ? value.toLowerCase() : ''
  if ((LOG_LEVELS as readonly string[]).includes(level)) return level as LogLevel
  return fail(ctx, `must be one of ${LOG_LEVELS.join(', ')}; got ${show(value)}`)
})

/** One of a fixed set of words (lower-cased). */
export const choice = <const T extends string>(values: readonly T[]) =>
  z.unknown().transform((value, ctx): T => {
    const word = typeof value === 'string' ? value.trim().toLowerCase() : ''
    if ((values as readonly string[]).includes(word)) return word as T
    return fail(ctx, `must be one of ${values.join(', ')}; got ${show(value)}`)
  })

/** Checked as an object here; the settings rules themselves run once the configuration is read. */
export const inlineSettings = z.unknown().transform((value, ctx): Record<string, unknown> | null => {
  if (value === null) return null
  if (typeof value !== 'object' || Array.isArray(value)) {
    return fail(ctx, `must be a settings object, got ${kind(value)}`)
  }
  return value as Record<string, unknown>
})

/** Comma-separated text or a list, each entry read by `read` (null: not valid, then `problem` says why, not the value). */
const listOf = (what: string, problem: string, read: (text: string) => string | null) =>
  z.unknown().transform((value, ctx): string[] => {
    const list = typeof value === 'string' ? value.split(',') : value
    if (!Array.isArray(list)) return fail(ctx, `must be a list of ${what}, got ${kind(value)}`)
    const out: string[] = []
    list.forEach((item, index) => {
      if (typeof item !== 'string') {
        ctx.addIssue({ code: 'custom', message: `entry ${index + 1} must be a string, got ${kind(item)}` })
        return
      }
      if (item.trim() === '') return
      const entry = read(item.trim())
      if (entry === null) ctx.addIssue({ code: 'custom', message: `entry ${index + 1} ${problem}` })
      else out.push(entry)
    })
    return [...new Set(out)]
  })

/** Alert webhooks: a URL's path is often its secret (Slack's is), so a bad entry is described, not shown. */
export const webhookUrlList = listOf('http(s) URLs', 'must be an http(s) URL', (text) => {
  try {
    const url = new URL(text)
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.toString()
  } catch {}
  return null
})

export const emailList = listOf('email addresses', 'must be an email address', (text) =>
  looksLikeEmail(text) ? text : null,
)

/** Holds a password: a bad value is described, never repeated. */
export const smtpUrl = z.unknown().transform((value, ctx): string | null => {
  if (value === null) return null
  if (typeof value === 'string') {
    try {
      const url = new URL(value.trim())
      if ((url.protocol === 'smtp:' || url.protocol === 'smtps:') && url.hostname !== '')
        return url.toString()
    } catch {}
  }
  return fail(
    ctx,
    `must be an smtp:// or smtps:// URL, got ${typeof value === 'string' ? 'another text' : kind(value)}`,
  )
})

export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value)
  return kind(value)
}

export function kind(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}
