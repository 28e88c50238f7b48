import { readdirSync, readFileSync } from 'node:fs'

/** One schema change: `NNNNNN_what.sql` in a store's `migrations` folder. */
export interface Migration {
  version: number
  name: string
  sql: string
}

const FILE = /^(\d{6})_([a-z0-9_]+)\.sql$/

/**
 * A store's migrations, in order. Append only: a released file is never edited, so a database is
 * fully described by the highest version it ran. Numbers run 1, 2, 3… with no gap or repeat, so a
 * file lost in packaging is an error at start rather than a silently older schema.
 */
export function loadMigrations(dir: URL): Migration[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
  return files.map((file, i) => {
    const match = FILE.exec(file)
    if (!match || Number(match[1]) !== i + 1) {
      throw new Error(
        `migration ${file} in ${dir.pathname} is out of sequence: expected ${String(i + 1).padStart(6, '0')}_<name>.sql`,
      )
    }
    return { version: i + 1, name: match[2]!, sql: readFileSync(new URL(file, dir), 'utf8') }
  })
}

/** The error for a database migrated by a newer program than this one. */
export function newerSchemaError(where: string, version: number, known: number): Error {
  return new Error(
    `the database schema${where} is version ${version}, newer than this program knows (${known}); upgrade the program`,
  )
}
