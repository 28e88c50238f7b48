/** What the input readers produce: one record per event-bearing line or row, good or bad. */

/** Where a record came from: the input's index among the command's files, and its line there. */
export interface RecordPlace {
  input: number
  /** 1-based physical line (for CSV: the line where the row ends; the header is line 1). */
  line: number
}

/** A problem with the input itself, found before any rule ran. */
export interface InputProblem {
  code: string
  message: string
}

export type InputRecord =
  | (RecordPlace & { kind: 'event'; event: Record<string, unknown> })
  /** A JSON value that is not an object: the rules decide it (as `plan` does), it is never sent. */
  | (RecordPlace & { kind: 'not-object'; value: unknown })
  | (RecordPlace & { kind: 'bad'; problem: InputProblem })

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
