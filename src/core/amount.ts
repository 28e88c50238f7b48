/** Amounts: parsed exactly as decimals, rounded half away from zero to cents. */

export const MAX_MAGNITUDE_CENTS = 100_000_000_000n // 1,000,000,000.00

const DECIMAL = /^\s*([+-]?)(\d+)(?:\.(\d+))?\s*$/

export interface ParsedAmount {
  negative: boolean
  /** |amount| rounded half away from zero to whole cents. */
  cents: bigint
}

/**
 * Numbers are read through their shortest decimal form (what the sender wrote in JSON), so
 * 1.005 rounds to 1.01 as a person expects, not to 1.00 as its binary value would.
 * Returns null when the value is not an amount at all.
 */
export function parseAmount(value: unknown): ParsedAmount | null {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return null
    const magnitude = Math.abs(value)
    // Below a tenth of a cent, String() switches to exponent form; such amounts round to zero.
    if (magnitude < 0.001) return { negative: value < 0, cents: 0n }
    // At or above 1e21 String() switches to exponent form too; such amounts are over any limit.
    if (magnitude >= 1e21) return { negative: value < 0, cents: MAX_MAGNITUDE_CENTS * 10n }
    return fromDecimal(value < 0, String(magnitude).split('.') as [string, string?])
  }
  if (typeof value === 'string') {
    const match = DECIMAL.exec(value)
    if (!match) return null
    const parsed = fromDecimal(match[1] === '-', [match[2]!, match[3]])
    // "-0.00" is zero, not a negative amount; "-0.001" is negative even though it rounds to zero.
    const nonZero = /[1-9]/.test(match[2]!) || /[1-9]/.test(match[3] ?? '')
    return { negative: parsed.negative && nonZero, cents: parsed.cents }
  }
  return null
}

function fromDecimal(negative: boolean, [whole, fraction = '']: [string, string?]): ParsedAmount {
  const cents = BigInt(whole) * 100n + BigInt(`${fraction}00`.slice(0, 2))
  const roundUp = fraction.length > 2 && fraction.charCodeAt(2) >= 53 /* '5' */
  return { negative, cents: roundUp ? cents + 1n : cents }
}

/** Cents as a JSON number of currency units (exact to the cent for every amount within the limit). */
export function centsToNumber(cents: bigint): number {
  return Number(cents) / 100
}

/** |quantity| in whole cents, for a quantity the core already rounded to cents (a Transaction's). */
export function toCents(quantity: number): number {
  return Math.round(Math.abs(quantity) * 100)
}
