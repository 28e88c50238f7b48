import Database from 'better-sqlite3'

/**
 * The schema of a SQLite database as text: every table and index as SQLite recorded it, whitespace
 * collapsed (a statement's layout is no part of the schema), in a stable order.
 */
export function dumpSqliteSchema(path: string): string {
  const db = new Database(path, { readonly: true })
  try {
    const rows = db
      .prepare(
        `SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'
         ORDER BY tbl_name, type DESC, name`,
      )
      .all() as Array<{ type: string; name: string; sql: string }>
    return `${rows.map((r) => `${collapse(r.sql)};`).join('\n')}\n`
  } finally {
    db.close()
  }
}

export function collapse(sql: string): string {
  return sql.replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/ \)/g, ')').trim()
}

/** Tables created by the migrations after the first, which a database from before the migrations table lacks. */
export function tablesMadeAfterTheFirst(migrations: ReadonlyArray<{ sql: string }>): string[] {
  return migrations
    .slice(1)
    .flatMap((m) => [...m.sql.matchAll(/CREATE TABLE (\w+)/g)].map((match) => match[1]!))
}

/** The statements that take a database back to the first migration: later tables, indexes and columns go. */
export function undoAfterTheFirst(migrations: ReadonlyArray<{ sql: string }>): string[] {
  const columns = migrations
    .slice(1)
    .flatMap((m) =>
      [...m.sql.matchAll(/ALTER TABLE (\w+) ADD COLUMN (\w+)/g)].map(
        (match) => `ALTER TABLE ${match[1]} DROP COLUMN ${match[2]}`,
      ),
    )
  const indexes = migrations
    .slice(1)
    .flatMap((m) =>
      [...m.sql.matchAll(/CREATE INDEX (\w+)/g)].map((match) => `DROP INDEX IF EXISTS ${match[1]}`),
    )
  return [...tablesMadeAfterTheFirst(migrations).map((t) => `DROP TABLE ${t}`), ...indexes, ...columns]
}
