/**
 * Perkville's OAuth scopes, as its v2 API reference lists them. One list for the sandbox (which
 * scopes a token may carry), the `token` command and the settings check (which scope is missing).
 */
export const PERKVILLE_SCOPES = [
  'PUBLIC',
  'USER_CUSTOMER_INFO',
  'USER_REDEEM',
  'USER_REFERRAL',
  'ADMIN_CUSTOMER_INFO',
  'ADMIN_CUSTOMER_REDEEM',
  'ADMIN_CUSTOMER_GRANT_POINTS',
  'ADMIN_CUSTOMER_REFERRAL',
  'ADMIN_PERK',
  'ADMIN_LOCATION',
] as const
export type PerkvilleScope = (typeof PERKVILLE_SCOPES)[number]

/** What the destination does with each scope it needs; the others it never uses. */
export const DESTINATION_SCOPES: Readonly<Partial<Record<PerkvilleScope, string>>> = {
  PUBLIC: 'read the business, its locations and perks',
  ADMIN_CUSTOMER_GRANT_POINTS: 'award and remove points',
  ADMIN_CUSTOMER_INFO: 'look up transactions (settles a delivery whose answer was lost)',
}

export function isPerkvilleScope(text: string): text is PerkvilleScope {
  return (PERKVILLE_SCOPES as readonly string[]).includes(text)
}

/** A space-separated OAuth `scope` value as a list (unknown names kept: the caller decides). */
export function splitScopes(value: string): string[] {
  return value.split(/\s+/).filter((s) => s !== '')
}

/** The first scope of the full list that an error answer names, if any (e.g. in a 403's description). */
export function scopeNamedIn(answer: unknown): PerkvilleScope | null {
  const text = typeof answer === 'string' ? answer : JSON.stringify(answer ?? '')
  // Word boundaries: a name never matches inside a longer one (`_` is a word character).
  return PERKVILLE_SCOPES.find((s) => new RegExp(`\\b${s}\\b`).test(text)) ?? null
}
