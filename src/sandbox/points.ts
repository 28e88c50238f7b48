/**
 * The sandbox's points rule (Perkville's real rules are not public). Decided:
 * - visit perks give `pointsPerUnit` for each whole unit: 2.7 visits count as 2;
 * - spend perks give `pointsPerUnit` per currency unit, on the quantity in cents, whole points only;
 * - both truncate toward zero, so a refund of an amount removes exactly what awarding it gave.
 */
import type { SeedPerk } from './seed.js'

export function pointsFor(perk: Pick<SeedPerk, 'kind' | 'pointsPerUnit'>, quantity: number): number {
  const sign = quantity < 0 ? -1 : 1
  const magnitude = Math.abs(quantity)
  let points: number
  if (perk.kind === 'visit') {
    points = Math.trunc(magnitude) * perk.pointsPerUnit
  } else {
    // Work in cents so 9.99 × 1 is 999/100, not 9.989999…; the epsilon absorbs binary noise in the rate.
    const cents = Math.round(magnitude * 100)
    points = (cents * perk.pointsPerUnit) / 100
  }
  const whole = Math.floor(points + 1e-9)
  return whole === 0 ? 0 : sign * whole
}
