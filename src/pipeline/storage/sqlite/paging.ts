/** Rows per page when pruning or replaying: large jobs never hold the database for long. */
export const PAGE = 2_000

/** Lets accepts and claims run between pages (better-sqlite3 is synchronous). */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
