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

/**
 * Statements that take a schema back to what the first migration made: every table, index and added
 * column of the later migrations goes, newest first (an index before the column it covers).
 */
export function undoAfterTheFirst(migrations: ReadonlyArray<{ sql: string }>): string[] {
  const undo: string[] = []
  for (const m of migrations.slice(1)) {
    const pattern = /CREATE TABLE (\w+)|CREATE (?:UNIQUE )?INDEX (\w+)|ALTER TABLE (\w+) ADD COLUMN (\w+)/g
    for (const match of m.sql.matchAll(pattern)) {
      if (match[1]) undo.push(`DROP TABLE ${match[1]}`)
      else if (match[2]) undo.push(`DROP INDEX IF EXISTS ${match[2]}`)
      else undo.push(`ALTER TABLE ${match[3]} DROP COLUMN ${match[4]}`)
    }
  }
  return undo.reverse()
}
