import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { createReadStream } from 'node:fs'
import { resolve } from 'node:path'
import type { Readable } from 'node:stream'
import type { InputIdentity } from './checkpoint.js'
import type { Mapping } from './mapping.js'
import { checkHeader, readCsv, readCsvHeader } from './read-csv.js'
import { readJsonl } from './read-jsonl.js'
import type { InputRecord } from './record.js'

export interface Input {
  /** As given on the command line; `-` is standard input. */
  name: string
  format: 'jsonl' | 'csv'
  /** Size and SHA-256 of a file (null for standard input, which cannot be resumed). */
  identity: InputIdentity | null
  /** Lines in the file, less the CSV header: the expected number of records (rows may span lines). */
  lines: number | null
}

export class InputError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InputError'
  }
}

export function formatOf(name: string, given: 'jsonl' | 'csv' | null, mapping: boolean): 'jsonl' | 'csv' {
  if (given !== null) return given
  if (/\.csv$/i.test(name)) return 'csv'
  return mapping && name === '-' ? 'csv' : 'jsonl'
}

/**
 * Checks every input before anything is sent: the file can be read (its size, SHA-256 and line
 * count come from one pass, for the checkpoint and the progress total), and a CSV header has every
 * column the mapping names.
 */
export async function examineInputs(
  names: string[],
  format: 'jsonl' | 'csv' | null,
  mapping: Mapping | null,
): Promise<Input[]> {
  if (names.filter((n) => n === '-').length > 1)
    throw new InputError('standard input (-) can be given only once')
  const inputs: Input[] = []
  for (const name of names) {
    const fmt = formatOf(name, format, mapping !== null)
    if (fmt === 'csv' && mapping === null)
      throw new InputError(
        `${name} is CSV: a mapping is needed (--mapping FILE or --map key=value, see docs/import.md)`,
      )
    if (name === '-') {
      inputs.push({ name, format: fmt, identity: null, lines: null })
      continue
    }
    const { identity, lines } = await fingerprint(name)
    if (fmt === 'csv') checkHeader(mapping!, await readCsvHeader(name, mapping!), name)
    inputs.push({ name, format: fmt, identity, lines: fmt === 'csv' ? Math.max(0, lines - 1) : lines })
  }
  return inputs
}

async function fingerprint(name: string): Promise<{ identity: InputIdentity; lines: number }> {
  const stream = createReadStream(name)
  try {
    await once(stream, 'open')
  } catch (err) {
    throw new InputError(`cannot read ${name}: ${(err as NodeJS.ErrnoException).code ?? err}`)
  }
  const hash = createHash('sha256')
  let size = 0
  let lines = 0
  let last = 10
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk)
    size += chunk.length
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++
    last = chunk[chunk.length - 1]!
  }
  if (size > 0 && last !== 10) lines++
  return { identity: { path: resolve(name), size, sha256: hash.digest('hex') }, lines }
}

/** The records of every input in turn. */
export async function* readInputs(inputs: Input[], mapping: Mapping | null): AsyncGenerator<InputRecord> {
  for (let index = 0; index < inputs.length; index++) {
    const input = inputs[index]!
    const stream: Readable = input.name === '-' ? process.stdin : createReadStream(input.name)
    if (input.format === 'csv') yield* readCsv(stream, index, mapping!, input.name)
    else yield* readJsonl(stream, index)
  }
}
