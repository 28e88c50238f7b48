import { closeSync, openSync, rmSync, writeSync } from 'node:fs'

export interface Refusal {
  file: string
  line: number
  /** For refusals the service counted but did not place: the last line of the batch. */
  lastLine?: number
  code: string
  reason: string
}

/**
 * The refused events of a run, one JSON line each (file, line, code, reason), so they can be fixed
 * and imported again. The file is created with the first refusal; a report left by an earlier run is
 * removed at the start, so the file present after a run is always that run's. Reasons name the
 * problem and never quote the event.
 */
export class Report {
  private fd: number | null = null
  count = 0
  private readonly byCode = new Map<string, number>()

  constructor(readonly path: string) {
    rmSync(path, { force: true })
  }

  /** `events`: how many events the entry stands for (a batch-level entry stands for several). */
  add(refusal: Refusal, events = 1): void {
    if (this.fd === null) this.fd = openSync(this.path, 'w')
    writeSync(this.fd, `${JSON.stringify(refusal)}\n`)
    this.count++
    this.byCode.set(refusal.code, (this.byCode.get(refusal.code) ?? 0) + events)
  }

  codes(): Record<string, number> {
    return Object.fromEntries([...this.byCode].sort(([a], [b]) => a.localeCompare(b)))
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd)
    this.fd = null
  }
}
