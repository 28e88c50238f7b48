import { decide } from './decide.js'
import { parseJson } from './json-syntax.js'
import type { Settings } from './settings.js'
import type { Outcome, Transaction } from './types.js'

/** One line of `plan` output, as the rules spec's dry-run interface defines it. */
export type PlanLine =
  | { line: number; messageId: string | null; status: 'send'; transaction: PlanTransaction }
  | { line: number; messageId: string | null; status: 'skip'; reason: { code: string; message: string } }
  | { line: number; messageId: string | null; status: 'reject'; error: { code: string; message: string } }

/**
 * The transaction as `plan` prints it: the spec's dry-run shape leaves out messageId and timestamp,
 * only an audience transaction has `audienceKey`, and only a once-per-day one `oncePerDay`.
 */
export type PlanTransaction = Omit<Transaction, 'messageId' | 'timestamp'>

/** Decides one non-blank input line; `line` is its 1-based count among non-blank lines. */
export function planLine(settings: Settings, text: string, line: number): PlanLine {
  const parsed = parseJson(text)
  if (!parsed.ok) {
    return {
      line,
      messageId: null,
      status: 'reject',
      error: {
        code: 'INVALID_JSON',
        message: `line ${line} is not valid JSON: at ${parsed.message.replace(/^line 1, /, '')}`,
      },
    }
  }
  return toPlanLine(line, parsed.value, decide(settings, parsed.value))
}

export function toPlanLine(line: number, event: unknown, outcome: Outcome): PlanLine {
  const messageId = messageIdOf(event)
  switch (outcome.status) {
    case 'send': {
      const t = outcome.transaction
      const transaction: PlanTransaction = {
        perkId: t.perkId,
        email: t.email,
        businessId: t.businessId,
        locationId: t.locationId,
        sendEmail: t.sendEmail,
        quantity: t.quantity,
        kind: t.kind,
        orderId: t.orderId,
      }
      if (t.kind === 'audience') transaction.audienceKey = t.audienceKey
      if (t.oncePerDay) transaction.oncePerDay = true
      return { line, messageId, status: 'send', transaction }
    }
    case 'skip':
      return { line, messageId, status: 'skip', reason: outcome.reason }
    case 'reject':
      return { line, messageId, status: 'reject', error: outcome.error }
  }
}

function messageIdOf(event: unknown): string | null {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return null
  const id = Object.hasOwn(event, 'messageId') ? (event as { messageId: unknown }).messageId : undefined
  return typeof id === 'string' ? id : null
}
