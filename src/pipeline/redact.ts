/** Removes every occurrence of the given secrets from a text (empty or very short secrets are ignored). */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text
  for (const secret of secrets) {
    if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join('[redacted]')
  }
  return out
}

/** JSON text of a value with the secrets scrubbed; null stays null. */
export function scrubbedJson(value: unknown, secrets: readonly string[]): string | null {
  if (value === null || value === undefined) return null
  let text: string
  try {
    text = JSON.stringify(value) ?? 'null'
  } catch {
    text = JSON.stringify(String(value))
  }
  return scrub(text, secrets)
}
