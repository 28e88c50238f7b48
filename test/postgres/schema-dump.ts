import { collapse } from '../pipeline/schema-dump.js'
import { queryIn } from './pg-harness.js'

/**
 * The schema of one PostgreSQL schema as text, from the catalogs (no pg_dump needed): columns,
 * indexes (with their definitions) and sequences, the schema's own name left out, in a stable order.
 */
export async function dumpPostgresSchema(schema: string): Promise<string> {
  const columns = await queryIn<{
    table_name: string
    column_name: string
    data_type: string
    is_nullable: string
    column_default: string | null
    is_identity: string
  }>(
    schema,
    `SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity
     FROM information_schema.columns WHERE table_schema = $1 ORDER BY table_name, ordinal_position`,
    [schema],
  )
  const indexes = await queryIn<{ indexdef: string }>(
    schema,
    `SELECT indexdef FROM pg_indexes WHERE schemaname = $1 ORDER BY tablename, indexname`,
    [schema],
  )
  const sequences = await queryIn<{ sequence_name: string; data_type: string }>(
    schema,
    `SELECT sequence_name, data_type FROM information_schema.sequences WHERE sequence_schema = $1
     ORDER BY sequence_name`,
    [schema],
  )
  const own = (text: string) => text.split(`${schema}.`).join('')
  const lines: string[] = []
  let table = ''
  for (const c of columns) {
    if (c.table_name !== table) {
      table = c.table_name
      lines.push(`TABLE ${table}`)
    }
    const extras = [
      c.is_nullable === 'NO' ? 'NOT NULL' : '',
      c.is_identity === 'YES' ? 'IDENTITY' : '',
      c.column_default !== null ? `DEFAULT ${own(c.column_default)}` : '',
    ].filter(Boolean)
    lines.push(`  ${c.column_name} ${c.data_type}${extras.length ? ` ${extras.join(' ')}` : ''}`)
  }
  for (const i of indexes) lines.push(`${collapse(own(i.indexdef))};`)
  for (const s of sequences) lines.push(`SEQUENCE ${s.sequence_name} ${s.data_type}`)
  return `${lines.join('\n')}\n`
}
