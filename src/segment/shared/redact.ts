/** Removes every occurrence of a secret from text that is about to leave (an error, a log line). */
export function redactSecret(text: string, secret: string): string {
  return secret === '' ? text : text.split(secret).join('[redacted]')
}
