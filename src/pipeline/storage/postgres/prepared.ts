/**
 * Statements with parameters become named prepared statements on each connection, so PostgreSQL
 * parses and plans each one once per connection instead of once per call (the claim and completion
 * statements run hundreds of times a second). A statement with `*` in its text stays unnamed: a
 * cached plan whose row shape changes (a migration adding a column, run by a newer instance) fails
 * with "cached plan must not change result type", and only `*` can change the shape.
 *
 * A pooler in transaction mode (PgBouncer's `pool_mode = transaction`) lends each transaction
 * whichever server connection is free, so a name prepared on one is missing on the next ("does not
 * exist") or already there ("already exists"). There the names are off: from the start when the
 * operator says so, else from the first such error on, which is then run again unnamed (nothing
 * ran: PostgreSQL refuses the statement before executing it).
 */
import { createHash } from 'node:crypto'
import type pg from 'pg'

const PREFIX = 'pv_'
const names = new Map<string, string>()

function nameOf(text: string): string {
  let name = names.get(text)
  if (name === undefined) {
    name = `${PREFIX}${createHash('sha1').update(text).digest('hex').slice(0, 20)}`
    names.set(text, name)
  }
  return name
}

/** Whether statements are named, shared by every connection of a pool. */
export class StatementNaming {
  constructor(
    private on: boolean,
    /** Told once, when a pooler's error turned the names off. */
    private readonly onPoolerFound: () => void,
  ) {}

  get named(): boolean {
    return this.on
  }

  /**
   * True when err is a pooler losing or sharing this program's named statements: the names are off
   * from now on (an unnamed statement cannot clash again) and the work may simply run again.
   */
  turnedOffBy(err: unknown): boolean {
    if (!isNamedStatementClash(err)) return false
    if (this.on) {
      this.on = false
      this.onPoolerFound()
    }
    return true
  }
}

/** "prepared statement "pv_…" already exists" (42P05) or "… does not exist" (26000). */
function isNamedStatementClash(err: unknown): boolean {
  const { code, message } = err as { code?: unknown; message?: unknown }
  return (
    (code === '42P05' || code === '26000') && typeof message === 'string' && message.includes(`"${PREFIX}`)
  )
}

/** Makes `client.query(text, values)` use a named statement where that is safe and names are on. */
export function prepareStatements(client: pg.Client, naming: StatementNaming): void {
  const original = client.query.bind(client) as (...args: unknown[]) => unknown
  ;(client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const [text, values] = args
    if (
      naming.named &&
      typeof text === 'string' &&
      Array.isArray(values) &&
      args.length === 2 &&
      !text.includes('*')
    ) {
      return original({ name: nameOf(text), text, values })
    }
    return original(...args)
  }
}
