export const MAX_EMAIL_LENGTH = 254

/**
 * The spec's "looks like an address": one `@`, a non-empty local part, a domain with a dot,
 * no whitespace, at most 254 characters. Decided: the domain's dot must separate non-empty
 * labels (`a@.com`, `a@b.` and `a@b..c` are not addresses).
 */
export function looksLikeEmail(value: string): boolean {
  if (value.length > MAX_EMAIL_LENGTH || /\s/.test(value)) return false
  const at = value.indexOf('@')
  if (at <= 0 || value.indexOf('@', at + 1) !== -1) return false
  const domain = value.slice(at + 1)
  const labels = domain.split('.')
  return labels.length >= 2 && labels.every((label) => label.length > 0)
}
