/**
 * How the sandbox answers where Perkville documents nothing: a duplicate `trans_source_id` and the
 * settling lookup. Each is one of the plausible answers, so the destination is tested under every
 * one of them (docs/sandbox.md). Not faults: clearing the faults leaves these as they are.
 */
import { z } from 'zod'

export const DUPLICATE_ANSWERS = ['409', '400', 'existing'] as const
export type DuplicateAnswer = (typeof DUPLICATE_ANSWERS)[number]

export const behaviourSchema = z
  .object({
    /**
     * A POST whose trans_source_id the business already has: 409 with the existing transaction's
     * URI (default), 400 in Perkville's documented error shape saying it already exists, or 200
     * with the existing transaction (`existing`). Nothing new is recorded in any case.
     */
    duplicateAnswer: z.enum(DUPLICATE_ANSWERS).optional(),
    /** false: trans_source_id prevents nothing, a resend is a second award (the failure to detect). */
    dedup: z.boolean().optional(),
    /** false: `GET /v2/transactions/?trans_source_id=` is refused as a filter Tastypie does not allow. */
    lookupFilter: z.boolean().optional(),
  })
  .strict()

export type Behaviour = z.output<typeof behaviourSchema>

export interface ResolvedBehaviour {
  duplicateAnswer: DuplicateAnswer
  dedup: boolean
  lookupFilter: boolean
}

export class BehaviourError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid behaviour: ${problems.join('; ')}`)
    this.name = 'BehaviourError'
  }
}

/** Validates and fills in the defaults (the answers the sandbox always gave: 409, dedup, lookup). */
export function parseBehaviour(input: unknown): ResolvedBehaviour {
  const result = behaviourSchema.safeParse(input)
  if (!result.success) {
    throw new BehaviourError(
      result.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : 'behaviour'}: ${i.message}`),
    )
  }
  return {
    duplicateAnswer: result.data.duplicateAnswer ?? '409',
    dedup: result.data.dedup ?? true,
    lookupFilter: result.data.lookupFilter ?? true,
  }
}
