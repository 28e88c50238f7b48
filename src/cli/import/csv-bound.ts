import { randomUUID } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'

const LF = 0x0a
const CR = 0x0d
const QUOTE = 0x22

/**
 * Bounds each CSV row before the parser sees it. csv-parse cannot skip past a row over its
 * max_record_size: it reports the same row once per chunk and drops the rest of the file. This
 * stream keeps a row until its end (a line break outside quotes) and passes it on whole, or, past
 * `maxBytes`, replaces it by its line breaks (so the parser's line numbers stay right; blank lines
 * are skipped) and a one-field row holding `marker`, which the reader reports as that row.
 */
export class CsvRowBound extends Transform {
  /** Never in a real file: a NUL and a random id. */
  readonly marker = `\u0000row-too-large-${randomUUID()}`
  /** The row in progress, from earlier chunks (at most maxBytes). */
  private held: Buffer[] = []
  private heldBytes = 0
  private inQuotes = false
  private justClosed = false
  private fieldStart = true
  private readonly delimiter: number
  /** The row being dropped: its line breaks so far, or null when none is being dropped. */
  private dropping: number | null = null

  constructor(
    private readonly maxBytes: number,
    delimiter: string,
  ) {
    super()
    this.delimiter = Buffer.from(delimiter)[0] ?? 0x2c
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const out: Buffer[] = []
    // Complete rows pass on in runs (one push per chunk); only a row not yet ended is held.
    let runStart = 0
    let rowStart = 0
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]
      if (this.inQuotes) {
        if (byte === QUOTE) {
          this.inQuotes = false
          this.justClosed = true
        } else if (byte === LF && this.dropping !== null) this.dropping++
        continue
      }
      // As csv-parse reads quotes: one opens a field only at its start ("" inside is a quote).
      const opens = byte === QUOTE && (this.fieldStart || this.justClosed)
      this.justClosed = false
      this.fieldStart = byte === this.delimiter || byte === LF || byte === CR
      if (opens) this.inQuotes = true
      else if (byte === LF || byte === CR) {
        if (this.dropping === null && this.heldBytes + i - rowStart > this.maxBytes)
          this.startDropping(chunk.subarray(rowStart, i))
        if (this.dropping !== null) {
          out.push(chunk.subarray(runStart, rowStart), this.markerRow(byte))
          runStart = i + 1
        } else if (this.heldBytes > 0) {
          out.push(Buffer.concat(this.held, this.heldBytes))
          this.held = []
          this.heldBytes = 0
        }
        rowStart = i + 1
      }
    }
    if (this.dropping === null) {
      const rest = chunk.subarray(rowStart)
      if (this.heldBytes + rest.length > this.maxBytes) this.startDropping(rest)
      else if (rest.length > 0) {
        this.held.push(rest)
        this.heldBytes += rest.length
      }
    }
    out.push(chunk.subarray(runStart, rowStart))
    const all = Buffer.concat(out)
    if (all.length > 0) this.push(all)
    done()
  }

  override _flush(done: TransformCallback): void {
    if (this.dropping !== null) this.push(this.markerRow(LF))
    else if (this.heldBytes > 0) this.push(Buffer.concat(this.held, this.heldBytes))
    done()
  }

  /** The row (held, then `part`) is too large: drop it, counting its line breaks so far. */
  private startDropping(part: Buffer): void {
    let breaks = 0
    for (const held of [...this.held, part]) for (const byte of held) if (byte === LF) breaks++
    this.dropping = breaks
    this.held = []
    this.heldBytes = 0
  }

  /** The marker row, ending on the line the dropped row ended on, with the same line end. */
  private markerRow(end: number): Buffer {
    const row = Buffer.from(`${'\n'.repeat(this.dropping ?? 0)}${this.marker}${String.fromCharCode(end)}`)
    this.dropping = null
    return row
  }
}
