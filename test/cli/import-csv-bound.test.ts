/** A CSV row far over the row limit is one bad record, and every row after it is read. */
import { createReadStream, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, describe, expect, test } from 'vitest'
import { CsvRowBound } from '../../src/cli/import/csv-bound.js'
import { loadMapping } from '../../src/cli/import/mapping.js'
import { MAX_ROW_BYTES, readCsv } from '../../src/cli/import/read-csv.js'
import { removeDir, tempDir } from '../service/helpers.js'

const dir = tempDir('csv-bound-')
afterAll(() => removeDir(dir))
const mapping = loadMapping(undefined, ['event=Checked In', 'email=Email'])

async function read(file: string): Promise<string[]> {
  const out: string[] = []
  for await (const r of readCsv(createReadStream(file), 0, mapping, 'f.csv'))
    out.push(
      r.kind === 'bad'
        ? `${r.line} ${r.problem.code} ${r.problem.message}`
        : r.kind === 'not-object'
          ? `${r.line} not an object`
          : `${r.line} ${String((r.event.properties as { email: string }).email)}`,
    )
  return out.sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10))
}

describe('a 10 MB row', () => {
  const huge = 'y'.repeat(10 * 1024 * 1024)
  for (const [name, eol] of [
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ] as const) {
    test(`(${name}) is one report line at its line; the rows after it are read`, async () => {
      const file = join(dir, `big-${name}.csv`)
      const rows = ['Email,Note', 'a@example.com,x', `b@example.com,${huge}`, 'c@example.com,"z"']
      for (let i = 0; i < 500; i++) rows.push(`r${i}@example.com,n`)
      writeFileSync(file, rows.join(eol) + eol)
      const out = await read(file)
      expect(out.slice(0, 3)).toEqual([
        '2 a@example.com',
        '3 INVALID_CSV the row is larger than 1 MB',
        '4 c@example.com',
      ])
      expect(out).toHaveLength(503)
      expect(out.at(-1)).toBe('504 r499@example.com')
    })
  }

  test('a huge quoted field over several lines is one report line, at the line where the row ends', async () => {
    const file = join(dir, 'big-quoted.csv')
    const text = `Email,Note\nb@example.com,"${huge}\n${huge}\n""x"""\nc@example.com,z\n`
    writeFileSync(file, text)
    expect(await read(file)).toEqual(['4 INVALID_CSV the row is larger than 1 MB', '5 c@example.com'])
  })

  test('the last row, without a line end', async () => {
    const file = join(dir, 'big-last.csv')
    writeFileSync(file, `Email,Note\na@example.com,x\nb@example.com,${huge}`)
    expect(await read(file)).toEqual(['2 a@example.com', '3 INVALID_CSV the row is larger than 1 MB'])
  })
})

test('rows within the limit pass through byte for byte, whatever the chunk size', async () => {
  const rows = ['Email;Note']
  for (let i = 0; i < 2000; i++)
    rows.push(
      i % 7 === 0 ? `q${i}@example.com;"a ""quoted"";\nvalue"` : `p${i}@example.com;${'z'.repeat(i % 300)}`,
    )
  rows.push(`big@example.com;${'w'.repeat(MAX_ROW_BYTES - 40)}`)
  const text = Buffer.from(`${rows.join('\r\n')}\r\n`)
  for (const size of [7, 4096, 65_536]) {
    const chunks: Buffer[] = []
    for (let at = 0; at < text.length; at += size) chunks.push(text.subarray(at, at + size))
    const bound = new CsvRowBound(MAX_ROW_BYTES, ';')
    const out: Buffer[] = []
    for await (const part of Readable.from(chunks).pipe(bound)) out.push(part as Buffer)
    expect(Buffer.concat(out).equals(text), `chunks of ${size}`).toBe(true)
  }
})
