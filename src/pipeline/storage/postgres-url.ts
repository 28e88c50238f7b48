/**
 * A PostgreSQL connection string carries a password; this is the only form of it that may appear in
 * logs, banners and error messages.
 */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = 'redacted'
    // Libpq-style `?password=` works too, so it goes the same way.
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', 'redacted')
    return parsed.toString()
  } catch {
    return '[unparseable database URL]'
  }
}

/** Removes the URL's password from a text (an error message that might quote it). */
export function scrubDatabasePassword(text: string, url: string): string {
  let password = ''
  try {
    const parsed = new URL(url)
    password =
      parsed.password !== ''
        ? decodeURIComponent(parsed.password)
        : (parsed.searchParams.get('password') ?? '')
  } catch {
    return text.replaceAll(url, '[database URL]')
  }
  let out = text.replaceAll(url, redactDatabaseUrl(url))
  if (password.length >= 1) out = out.replaceAll(password, '[redacted]')
  return out
}

export function isDatabaseUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value)
    return protocol === 'postgres:' || protocol === 'postgresql:'
  } catch {
    return false
  }
}
