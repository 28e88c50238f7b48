/**
 * Statements with parameters become named prepared statements on each connection, so PostgreSQL
 * parses and plans each one once per connection instead of once per call (the claim and completion
 * statements run hundreds of times a second). A statement with `*` in its text stays unnamed: a
 * cached plan whose row shape changes (a migration adding a column, run by a newer instance) fails
 * with "cached plan must not change result type", and only `*` can change the shape.
 */
import { createHash } from 'node:crypto'
import type pg from 'pg'

const names = new Map<string, string>()

function nameOf(text: string): string {
  let name = names.get(text)
  if (name === undefined) {
    name = `pv_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`
    names.set(text, name)
  }
  return name
}

/** Makes `client.query(text, values)` use a named statement where that is safe. */
export function prepareStatements(client: pg.Client): void {
  const original = client.query.bind(client) as (...args: unknown[]) => unknown
  ;(client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const [text, values] = args
    if (typeof text === 'string' && Array.isArray(values) && args.length === 2 && !text.includes('*')) {
      return original({ name: nameOf(text), text, values })
    }
    return original(...args)
  }
}
