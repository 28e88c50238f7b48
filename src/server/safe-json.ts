/** JSON.parse messages in Node 20 quote the input, which may hold secrets: keep what and where only. */
export function safeJsonMessage(err: Error): string {
  return err.message.replace(/, ".*" is not valid JSON$/s, ' (not valid JSON)')
}
