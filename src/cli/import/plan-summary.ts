import type { PlanLine } from '../../core/plan.js'

/** How many awards `biggest` lists. */
const BIGGEST = 10

export interface PerkTotals {
  /** Transactions that add (events and spends). */
  awards: number
  refunds: number
  /** Net quantity (visits plus currency amount, refunds subtracted), the points basis of the perk. */
  quantity: number
}

export interface BigAward {
  line: number
  email: string
  perkId: string
  quantity: number
  orderId: string | null
}

/** The dry run's answer: what the rules would do with every event, aggregated. */
export interface PlanSummary {
  events: number
  outcomes: { send: number; skip: Record<string, number>; reject: Record<string, number> }
  /** Distinct customers (emails, case-insensitive) that would get a transaction. */
  customers: number
  perks: Record<string, PerkTotals>
  biggest: BigAward[]
}

/**
 * Aggregates `plan` lines. The dry run feeds it the lines the core makes for each event, so its
 * summary is by construction the summary of what `plan` prints for the same events. Quantities are
 * summed in cents so the totals are exact.
 */
export class PlanSummarizer {
  private events = 0
  private send = 0
  private readonly skip: Record<string, number> = {}
  private readonly reject: Record<string, number> = {}
  private readonly emails = new Set<string>()
  private readonly perks = new Map<string, { awards: number; refunds: number; cents: number }>()
  private readonly biggest: BigAward[] = []

  add(line: PlanLine): void {
    this.events++
    if (line.status === 'skip') {
      bump(this.skip, line.reason.code)
      return
    }
    if (line.status === 'reject') {
      bump(this.reject, line.error.code)
      return
    }
    this.send++
    const t = line.transaction
    this.emails.add(t.email.toLowerCase())
    let perk = this.perks.get(t.perkId)
    if (!perk) {
      perk = { awards: 0, refunds: 0, cents: 0 }
      this.perks.set(t.perkId, perk)
    }
    if (t.kind === 'refund') perk.refunds++
    else perk.awards++
    perk.cents += Math.round(t.quantity * 100)
    if (t.quantity > 0)
      this.consider({
        line: line.line,
        email: t.email,
        perkId: t.perkId,
        quantity: t.quantity,
        orderId: t.orderId,
      })
  }

  private consider(award: BigAward): void {
    const list = this.biggest
    if (list.length === BIGGEST && list[list.length - 1]!.quantity >= award.quantity) return
    let at = list.length
    while (at > 0 && list[at - 1]!.quantity < award.quantity) at--
    list.splice(at, 0, award)
    if (list.length > BIGGEST) list.pop()
  }

  summary(): PlanSummary {
    const perks: Record<string, PerkTotals> = {}
    for (const id of [...this.perks.keys()].sort()) {
      const p = this.perks.get(id)!
      perks[id] = { awards: p.awards, refunds: p.refunds, quantity: p.cents / 100 }
    }
    return {
      events: this.events,
      outcomes: { send: this.send, skip: sorted(this.skip), reject: sorted(this.reject) },
      customers: this.emails.size,
      perks,
      biggest: [...this.biggest],
    }
  }
}

function bump(counts: Record<string, number>, code: string): void {
  counts[code] = (counts[code] ?? 0) + 1
}

function sorted(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)))
}

const count = (n: number) => n.toLocaleString('en-US')
const amount = (n: number) =>
  n.toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: 2 })

/** The dry-run summary as a person reads it. */
export function formatPlanSummary(s: PlanSummary): string {
  const codes = (c: Record<string, number>) =>
    Object.entries(c)
      .map(([code, n]) => `${code} ${count(n)}`)
      .join(', ')
  const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0)
  const lines = [
    `  events      ${count(s.events)}`,
    `  send        ${count(s.outcomes.send)}`,
    `  skip        ${count(total(s.outcomes.skip))}${total(s.outcomes.skip) ? `  (${codes(s.outcomes.skip)})` : ''}`,
    `  reject      ${count(total(s.outcomes.reject))}${total(s.outcomes.reject) ? `  (${codes(s.outcomes.reject)})` : ''}`,
    `  customers   ${count(s.customers)}`,
  ]
  for (const [id, p] of Object.entries(s.perks)) {
    lines.push(
      `  perk ${id}: ${count(p.awards)} awards, ${count(p.refunds)} refunds, net quantity ${amount(p.quantity)} (points = quantity × the perk's points per unit)`,
    )
  }
  if (s.biggest.length > 0) {
    lines.push('  biggest awards:')
    for (const b of s.biggest)
      lines.push(
        `    line ${b.line}: ${amount(b.quantity)} to ${b.email} (perk ${b.perkId}${b.orderId ? `, order ${b.orderId}` : ''})`,
      )
  }
  return lines.join('\n')
}
