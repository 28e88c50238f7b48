/**
 * The live contract check (`check --write-probe`): on a test business, post one transaction with a
 * fresh `trans_source_id`, post it again, look it up, and say whether what the destination assumes
 * where Perkville documents nothing holds: a duplicate is refused or returned (never recorded twice),
 * and the settling lookup's filter is accepted. Transport-agnostic, like the settings check.
 */
import type { Transaction } from '../core/types.js'
import type { JsonGet } from './pagination.js'
import type { CheckItem, JsonPost } from './settings-check.js'
import {
  apiUrl,
  asObject,
  classifyTransactionResponse,
  errorMessage,
  PATHS,
  transactionLookupQuery,
  transactionRequestBody,
  transSourceIdOf,
} from './wire.js'

export interface ProbeStep {
  step: 'first POST' | 'second POST (same trans_source_id)' | 'lookup by trans_source_id'
  /** Perkville's status; null when it could not be reached. */
  status: number | null
  /** What Perkville answered, in words (bounded). */
  answer: string
}

export interface ContractProbeResult {
  at: string
  baseUrl: string
  businessId: string
  perkId: string
  transSourceId: string
  steps: ProbeStep[]
  /** One item per assumption, with what it means when it does not hold. */
  assumptions: CheckItem[]
  ok: boolean
}

export interface ProbeTarget {
  businessId: string
  locationId: string
  perkId: string
  email: string
}

/** Answers kept in a result are cut to this many characters: it is stored and shown. */
const MAX_ANSWER = 300
export const DUPLICATE_ITEM = 'duplicate trans_source_id refused or returned'
export const LOOKUP_ITEM = 'lookup by trans_source_id accepted'

export async function runContractProbe(
  target: ProbeTarget,
  baseUrl: string,
  http: { get: JsonGet; post: JsonPost },
  now: Date = new Date(),
): Promise<ContractProbeResult> {
  const transSourceId = `perkville-destination-probe-${now.getTime().toString(36)}-${Math.random().toString(36).slice(2, 10)}`
  const tx: Transaction = {
    businessId: target.businessId,
    locationId: target.locationId,
    perkId: target.perkId,
    email: target.email,
    quantity: 1,
    sendEmail: false,
    kind: 'event',
    orderId: null,
    messageId: transSourceId,
    timestamp: now.toISOString(),
  }
  const body = transactionRequestBody(tx, transSourceId)
  const url = apiUrl(baseUrl, PATHS.transactions)
  const steps: ProbeStep[] = []
  const call = async (step: ProbeStep['step'], send: () => Promise<{ status: number; body: unknown }>) => {
    try {
      const answer = await send()
      steps.push({ step, status: answer.status, answer: describe(answer.status, answer.body) })
      return answer
    } catch (err) {
      steps.push({ step, status: null, answer: bounded(`no answer: ${(err as Error).message}`) })
      return null
    }
  }
  const result = (assumptions: CheckItem[]): ContractProbeResult => ({
    at: now.toISOString(),
    baseUrl,
    businessId: target.businessId,
    perkId: target.perkId,
    transSourceId,
    steps,
    assumptions,
    ok: assumptions.every((a) => a.ok),
  })

  const first = await call('first POST', () => http.post(url, body))
  if (first === null || first.status < 200 || first.status >= 300) {
    const why = 'the first POST did not create the probe transaction, so nothing could be proved'
    return result([
      notChecked(DUPLICATE_ITEM, why, probeAction(first?.status)),
      notChecked(LOOKUP_ITEM, why, probeAction(first?.status)),
    ])
  }
  const firstId = asObject(first.body)?.id
  const second = await call('second POST (same trans_source_id)', () => http.post(url, body))
  const lookupUrl = apiUrl(
    baseUrl,
    PATHS.transactions,
    transactionLookupQuery(target.businessId, transSourceId),
  )
  const lookup = await call('lookup by trans_source_id', () => http.get(lookupUrl))
  return result([duplicateItem(second, firstId), lookupItem(lookup, transSourceId)])
}

/** An item the probe could not decide: it fails, saying why and what to do. */
const notChecked = (item: string, why: string, action: string): CheckItem => ({
  item,
  ok: false,
  message: `not checked: ${why}`,
  action,
})

function duplicateItem(answer: { status: number; body: unknown } | null, firstId: unknown): CheckItem {
  if (answer === null) return notChecked(DUPLICATE_ITEM, 'the second POST got no answer', 'try again')
  const verdict = classifyTransactionResponse(answer.status, answer.body, null)
  if (verdict.class === 'already_delivered') {
    return {
      item: DUPLICATE_ITEM,
      ok: true,
      message: `refused (HTTP ${answer.status}): the destination counts it as delivered`,
    }
  }
  if (verdict.class === 'delivered') {
    if (verdict.transactionId !== null && verdict.transactionId === String(firstId)) {
      return {
        item: DUPLICATE_ITEM,
        ok: true,
        message: `returned the first transaction (HTTP ${answer.status})`,
      }
    }
    return {
      item: DUPLICATE_ITEM,
      ok: false,
      message: `Perkville recorded the same trans_source_id a second time (transaction ${verdict.transactionId ?? '?'} after ${String(firstId)}): a resend after a lost answer would award twice`,
      action:
        'do not run the destination against this Perkville: ask Perkville support to enforce trans_source_id uniqueness for your business',
    }
  }
  return {
    item: DUPLICATE_ITEM,
    ok: false,
    message: `the second POST was answered ${describe(answer.status, answer.body)}, which the destination does not read as "already there": such events would be ${verdict.class === 'temporary' ? 'retried' : 'failed'}`,
    action:
      'report this answer to the destination maintainers (docs/perkville-api.md lists the answers read as duplicates)',
  }
}

function lookupItem(answer: { status: number; body: unknown } | null, transSourceId: string): CheckItem {
  if (answer === null) return notChecked(LOOKUP_ITEM, 'the lookup got no answer', 'try again')
  const objects = asObject(answer.body)?.objects
  if (answer.status >= 200 && answer.status < 300 && Array.isArray(objects)) {
    const matching = objects.filter((o) => transSourceIdOf(o) === transSourceId).length
    if (matching > 0 && matching === objects.length) {
      return {
        item: LOOKUP_ITEM,
        ok: true,
        message: `found ${matching} transaction(s) with the probe's trans_source_id`,
      }
    }
    return {
      item: LOOKUP_ITEM,
      ok: false,
      message: `the lookup answered ${objects.length} transaction(s), ${matching} with the probe's trans_source_id: Perkville ignores the filter, so a lost answer cannot be settled and such events are parked cannot_settle`,
      action: 'ask Perkville support how to find a transaction by trans_source_id',
    }
  }
  return {
    item: LOOKUP_ITEM,
    ok: false,
    message: `Perkville refused the lookup (${describe(answer.status, answer.body)}): a lost answer cannot be settled, so such events are parked cannot_settle for an operator`,
    action: 'ask Perkville support how to find a transaction by trans_source_id',
  }
}

function probeAction(status: number | undefined): string {
  if (status === 401 || status === 403)
    return 'use a token of a staff member of the test business with ADMIN_CUSTOMER_GRANT_POINTS'
  if (status === undefined) return 'check the network and the Perkville URL, then try again'
  return 'check --perk and the settings (business, location) against the test business'
}

function describe(status: number, body: unknown): string {
  return bounded(errorMessage(status, status >= 200 && status < 300 ? null : body))
}

function bounded(text: string): string {
  return text.length > MAX_ANSWER ? `${text.slice(0, MAX_ANSWER)}…` : text
}
