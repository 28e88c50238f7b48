/**
 * What a connection pooler between the service and PostgreSQL (PgBouncer) refused, in words that
 * say what to change: its own messages name neither the pooler nor the remedy.
 */
export function poolerHint(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  if (/unsupported startup parameter/i.test(message)) {
    return " (a pooler such as PgBouncer refuses a startup parameter given in the database URL: remove it from the URL or list it in PgBouncer's ignore_startup_parameters)"
  }
  if (/statement pooling/i.test(message)) {
    return " (PgBouncer's pool_mode = statement cannot run transactions: use pool_mode = transaction, with --database-pooling transaction, or session)"
  }
  return ''
}

/** How connections reach PostgreSQL: straight or through session pooling, or pooled per transaction. */
export const DATABASE_POOLING = ['session', 'transaction'] as const
export type DatabasePooling = (typeof DATABASE_POOLING)[number]
