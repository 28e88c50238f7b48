import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'

/**
 * Which lines of which inputs the service has already accepted, so a resumed run does not send them
 * again. Only an optimisation: exactly-once comes from the stable messageIds, so a checkpoint that
 * is a little behind (the process was killed between an answer and the next save) costs a few
 * duplicates the service acknowledges, never a double award. It is trusted only for inputs whose
 * size and SHA-256 are unchanged.
 */

export interface InputIdentity {
  path: string
  size: number
  sha256: string
}

interface CheckpointFile {
  version: 1
  /** What else makes the events what they are: the source name and the CSV mapping. */
  key: string
  inputs: InputIdentity[]
  /** Per input, sorted disjoint [from, to] line ranges whose events were all accepted. */
  done: Array<Array<[number, number]>>
  updatedAt: string
}

/** Where the checkpoint of an import lives by default: one file per (inputs, service) pair. */
export function defaultCheckpointPath(inputs: string[], serviceUrl: string): string {
  const id = createHash('sha256')
    .update(JSON.stringify([inputs.map((p) => resolve(p)), serviceUrl]))
    .digest('hex')
    .slice(0, 16)
  return join('.perkville-import', `${id}.json`)
}

export class Checkpoint {
  private readonly done: Array<Array<[number, number]>>
  private dirty = false

  private constructor(
    readonly path: string,
    private readonly key: string,
    private readonly inputs: InputIdentity[],
    done: Array<Array<[number, number]>> | null,
  ) {
    this.done = done ?? inputs.map(() => [])
  }

  /**
   * The checkpoint at `path` when it belongs to exactly these inputs and key; otherwise a fresh one
   * (with a note saying why the old one is not used).
   */
  static open(
    path: string,
    key: string,
    inputs: InputIdentity[],
  ): { checkpoint: Checkpoint; resumed: boolean; note: string | null } {
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch {
      return { checkpoint: new Checkpoint(path, key, inputs, null), resumed: false, note: null }
    }
    let saved: CheckpointFile
    try {
      saved = JSON.parse(text) as CheckpointFile
    } catch {
      return {
        checkpoint: new Checkpoint(path, key, inputs, null),
        resumed: false,
        note: `checkpoint ${path} is unreadable; starting from the beginning`,
      }
    }
    const same =
      saved.version === 1 &&
      saved.key === key &&
      Array.isArray(saved.done) &&
      saved.inputs?.length === inputs.length &&
      saved.inputs.every((s, i) => s.size === inputs[i]!.size && s.sha256 === inputs[i]!.sha256)
    if (!same)
      return {
        checkpoint: new Checkpoint(path, key, inputs, null),
        resumed: false,
        note: `the input, source or mapping changed since checkpoint ${path}; starting from the beginning (events already imported are acknowledged as duplicates)`,
      }
    return { checkpoint: new Checkpoint(path, key, inputs, saved.done), resumed: true, note: null }
  }

  /** Whether this line's event was accepted by an earlier run. */
  has(input: number, line: number): boolean {
    const ranges = this.done[input]
    if (!ranges) return false
    let lo = 0
    let hi = ranges.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      const [from, to] = ranges[mid]!
      if (line < from) hi = mid - 1
      else if (line > to) lo = mid + 1
      else return true
    }
    return false
  }

  /** Records lines from..to of an input as accepted, merging with neighbouring ranges. */
  add(input: number, from: number, to: number): void {
    const ranges = this.done[input]!
    let i = 0
    while (i < ranges.length && ranges[i]![1] < from - 1) i++
    let start = from
    let end = to
    let j = i
    while (j < ranges.length && ranges[j]![0] <= end + 1) {
      start = Math.min(start, ranges[j]![0])
      end = Math.max(end, ranges[j]![1])
      j++
    }
    ranges.splice(i, j - i, [start, end])
    this.dirty = true
  }

  /** Writes the file atomically (a crash leaves the old or the new one, never half of one). */
  save(): void {
    if (!this.dirty) return
    const body: CheckpointFile = {
      version: 1,
      key: this.key,
      inputs: this.inputs,
      done: this.done,
      updatedAt: new Date().toISOString(),
    }
    mkdirSync(dirname(this.path), { recursive: true })
    const temp = `${this.path}.${process.pid}.tmp`
    writeFileSync(temp, JSON.stringify(body))
    renameSync(temp, this.path)
    this.dirty = false
  }
}
