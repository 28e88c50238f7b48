import { createReadStream } from 'node:fs'
import type { Readable } from 'node:stream'
import { type CsvError, type Info, parse } from 'csv-parse'
import { CsvRowBound } from './csv-bound.js'
import { headerProblems, type Mapping, MappingError, rowToEvent } from './mapping.js'
import type { InputRecord } from './record.js'

/** What the messages say instead of csv-parse's own text, which can quote the row. */
const CSV_PROBLEMS: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed',
  CSV_INVALID_CLOSING_QUOTE: 'a closing quote is followed by something other than the delimiter',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE:
    'a closing quote is followed by something other than the delimiter',
  CSV_MAX_RECORD_SIZE: 'the row is too large',
}

/** A row larger than this is refused as a whole (one report line), and the rows after it are read. */
export const MAX_ROW_BYTES = 1024 * 1024

function parser(mapping: Mapping, toLine?: number) {
  return parse({
    bom: true,
    delimiter: mapping.delimiter ?? ',',
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: MAX_ROW_BYTES,
    ...(toLine !== undefined ? { to_line: toLine } : {}),
  })
}

/** The header of a CSV file (its first row), trimmed. Empty when the file has no row. */
export async function readCsvHeader(file: string, mapping: Mapping): Promise<string[]> {
  const rows = createReadStream(file).pipe(parser(mapping, 1))
  for await (const { record } of rows as AsyncIterable<{ record: string[] }>) {
    return record.map((h) => h.trim())
  }
  return []
}

/** Fails with every mapped column the header lacks, naming the columns it has. */
export function checkHeader(mapping: Mapping, header: string[], where: string): void {
  const problems = headerProblems(mapping, header)
  if (problems.length > 0) throw new MappingError(problems.map((p) => `${where}: ${p}`))
}

/**
 * A CSV file (a shop's order export, a check-in log) as events through the mapping: one record per
 * row, numbered by the physical line where the row ends. A malformed row is a bad record and the
 * rest of the file goes on.
 */
export async function* readCsv(
  stream: Readable,
  input: number,
  mapping: Mapping,
  where: string,
): AsyncGenerator<InputRecord> {
  const skipped: InputRecord[] = []
  const rows = parser(mapping)
  rows.on('skip', (err: CsvError & { lines?: number }) => {
    const message = CSV_PROBLEMS[err.code] ?? `the row cannot be read (${err.code})`
    skipped.push({ input, line: err.lines ?? 0, kind: 'bad', problem: { code: 'INVALID_CSV', message } })
  })
  const bound = new CsvRowBound(MAX_ROW_BYTES, mapping.delimiter ?? ',')
  stream.on('error', (err) => rows.destroy(err))
  stream.pipe(bound).pipe(rows)
  let header: string[] | null = null
  try {
    for await (const { record, info } of rows as AsyncIterable<{ record: string[]; info: Info }>) {
      yield* skipped.splice(0)
      if (header === null) {
        header = record.map((h) => h.trim())
        checkHeader(mapping, header, where)
        continue
      }
      const line = info.lines
      const problem =
        record.length === 1 && record[0] === bound.marker
          ? `the row is larger than ${MAX_ROW_BYTES / 1024 / 1024} MB`
          : record.length !== header.length
            ? `the row has ${record.length} fields, the header has ${header.length}`
            : null
      if (problem !== null) {
        yield { input, line, kind: 'bad', problem: { code: 'INVALID_CSV', message: problem } }
        continue
      }
      const row: Record<string, string> = Object.create(null)
      for (let i = 0; i < header.length; i++) row[header[i]!] = record[i]!
      const made = rowToEvent(mapping, row)
      yield 'event' in made
        ? { input, line, kind: 'event', event: made.event }
        : { input, line, kind: 'bad', problem: made.problem }
    }
  } catch (err) {
    if (err instanceof MappingError) throw err
    const code = (err as CsvError).code
    if (typeof code !== 'string' || !code.startsWith('CSV_')) throw err
    // Errors the parser cannot skip past (an unclosed quote at the end) end the file, not the run.
    skipped.push({
      input,
      line: (err as { lines?: number }).lines ?? 0,
      kind: 'bad',
      problem: {
        code: 'INVALID_CSV',
        message: CSV_PROBLEMS[code] ?? `the file cannot be read further (${code})`,
      },
    })
  }
  yield* skipped.splice(0)
}
