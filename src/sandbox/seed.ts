/**
 * The sandbox's starting data: tokens, businesses, their locations and perks. The default seed lets
 * everything run with no setup; a seed file (validated here) replaces it.
 */
import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { parseJson } from '../core/json-syntax.js'
import { PERKVILLE_SCOPES, type PerkvilleScope } from '../perkville/scopes.js'
import { isTimeZone } from './calendar-day.js'

export const SCOPES = PERKVILLE_SCOPES
export type Scope = PerkvilleScope

const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER)

const perkSchema = z
  .object({
    id,
    title: z.string().min(1).max(200),
    /** `visit`: pointsPerUnit for each whole unit; `spend`: pointsPerUnit per currency unit. */
    kind: z.enum(['visit', 'spend']),
    pointsPerUnit: z.number().min(0).max(1_000_000),
  })
  .strict()

const locationSchema = z.object({ id, name: z.string().min(1).max(200) }).strict()

/**
 * Where a business without one counts its calendar days (once-per-day perks): Perkville's
 * businesses are mostly North American gyms and studios, and an offset from UTC keeps the
 * difference between the two visible in tests.
 */
export const DEFAULT_TIMEZONE = 'America/New_York'

const businessSchema = z
  .object({
    id,
    name: z.string().min(1).max(200),
    timezone: z
      .string()
      .max(100)
      .refine(isTimeZone, 'must be an IANA time zone name such as America/New_York or UTC')
      .default(DEFAULT_TIMEZONE),
    locations: z.array(locationSchema).default([]),
    perks: z.array(perkSchema).default([]),
  })
  .strict()

const tokenSchema = z
  .object({
    token: z.string().min(1).max(500),
    scopes: z.array(z.enum(SCOPES)).default([...SCOPES]),
    /** The businesses this token administers (default: all); others answer 403. */
    businesses: z.array(id).optional(),
  })
  .strict()

/** A registered API client (what Perkville emails after registration, with the scopes it assigned). */
const clientSchema = z
  .object({
    clientId: z.string().min(1).max(200),
    clientSecret: z.string().min(1).max(500),
    scopes: z.array(z.enum(SCOPES)).default([...SCOPES]),
  })
  .strict()

/** A Perkville account whose password the resource-owner grant takes (a staff member of businesses). */
const userSchema = z
  .object({
    username: z.string().min(1).max(200),
    password: z.string().min(1).max(500),
    /** The businesses this user is staff of (default: all); their tokens act for those only. */
    businesses: z.array(id).optional(),
  })
  .strict()

export const seedSchema = z
  .object({
    tokens: z.array(tokenSchema).min(1).optional(),
    clients: z.array(clientSchema).optional(),
    users: z.array(userSchema).optional(),
    businesses: z.array(businessSchema),
  })
  .strict()
  .superRefine((seed, ctx) => {
    // Ids are global in Perkville's URIs (/v2/perks/3001/), so they must be unique across businesses.
    for (const kind of ['businesses', 'locations', 'perks'] as const) {
      const ids =
        kind === 'businesses'
          ? seed.businesses.map((b) => b.id)
          : seed.businesses.flatMap((b) => b[kind].map((x) => x.id))
      const seen = new Set<number>()
      for (const i of ids) {
        if (seen.has(i)) ctx.addIssue({ code: 'custom', message: `${kind}: id ${i} is used twice` })
        seen.add(i)
      }
    }
    for (const [kind, names] of [
      ['clients', (seed.clients ?? []).map((c) => c.clientId)],
      ['users', (seed.users ?? []).map((u) => u.username)],
    ] as const) {
      const dup = names.find((n, i) => names.indexOf(n) !== i)
      if (dup !== undefined)
        ctx.addIssue({ code: 'custom', message: `${kind}: ${JSON.stringify(dup)} is given twice` })
    }
  })

export type SandboxSeed = z.input<typeof seedSchema>
export type ParsedSeed = z.output<typeof seedSchema>
export type SeedPerk = z.output<typeof perkSchema>
export type SeedClient = z.output<typeof clientSchema>
export type SeedUser = z.output<typeof userSchema>

/** What a token may do. */
export interface TokenGrant {
  scopes: readonly Scope[]
  /** null: every business. */
  businesses: readonly number[] | null
}

export const DEFAULT_TOKEN = 'sandbox-token'
/** A token that authenticates but may not grant points: answers 403 on transaction POSTs. */
export const DEFAULT_READONLY_TOKEN = 'sandbox-readonly-token'

/** The default seed's API client and staff account, for `perkville-destination token` against the sandbox. */
export const DEFAULT_CLIENT = { clientId: 'sandbox-client', clientSecret: 'sandbox-client-secret' }
export const DEFAULT_USER = { username: 'staff@sandbox-fitness.example', password: 'sandbox-password' }

export const DEFAULT_SEED: SandboxSeed = {
  tokens: [
    { token: DEFAULT_TOKEN, scopes: [...SCOPES] },
    { token: DEFAULT_READONLY_TOKEN, scopes: ['PUBLIC'] },
  ],
  clients: [{ ...DEFAULT_CLIENT, scopes: [...SCOPES] }],
  users: [DEFAULT_USER],
  businesses: [
    {
      id: 1001,
      name: 'Sandbox Fitness',
      locations: [{ id: 2001, name: 'Sandbox Fitness Downtown' }],
      perks: [
        { id: 3001, title: 'Check-in', kind: 'visit', pointsPerUnit: 10 },
        { id: 3002, title: 'Spend', kind: 'spend', pointsPerUnit: 1 },
        { id: 3003, title: 'Referral', kind: 'visit', pointsPerUnit: 50 },
      ],
    },
  ],
}

export class SeedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SeedError'
  }
}

export function parseSeed(input: unknown, source = 'seed'): ParsedSeed {
  const result = seedSchema.safeParse(input)
  if (result.success) return result.data
  const problems = result.error.issues.map(
    (i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`,
  )
  throw new SeedError(`invalid ${source}: ${problems.join('; ')}`)
}

export function loadSeedFile(path: string): ParsedSeed {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new SeedError(`cannot read seed file ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`)
  }
  const parsed = parseJson(text)
  if (!parsed.ok) throw new SeedError(`seed file ${path} is not valid JSON at ${parsed.message}`)
  return parseSeed(parsed.value, `seed file ${path}`)
}
