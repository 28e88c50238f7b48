import { once } from 'node:events'
import { createReadStream, readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import type { Readable, Writable } from 'node:stream'
import { planLine } from '../core/plan.js'
import { parseSettingsJson, type Settings, SettingsError } from '../core/settings.js'

export interface PlanIo {
  input: Readable
  output: Writable
}

/** Output is flushed in chunks of about this size; small enough to keep memory flat. */
const CHUNK_BYTES = 64 * 1024

/**
 * Streams JSONL events through the rules: one output line per non-blank input line, in order.
 * Memory stays bounded whatever the input size because output honours back-pressure.
 */
export async function runPlan(settings: Settings, { input, output }: PlanIo): Promise<number> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })
  let count = 0
  let chunk = ''
  for await (const text of lines) {
    if (text.trim() === '') continue
    count++
    chunk += `${JSON.stringify(planLine(settings, text, count))}\n`
    if (chunk.length >= CHUNK_BYTES) {
      const ok = output.write(chunk)
      chunk = ''
      if (!ok) await once(output, 'drain')
    }
  }
  if (chunk) output.write(chunk)
  return count
}

export function loadSettingsFile(path: string): Settings {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new SettingsError([
      `cannot read settings file ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`,
    ])
  }
  return parseSettingsJson(text, `settings file ${path}`)
}

/** The `plan` command: exit 0 when every line was decided, 2 (nothing on stdout) on bad settings. */
export async function planCommand(
  opts: { settings: string },
  eventsFile: string | undefined,
): Promise<number> {
  let settings: Settings
  try {
    settings = loadSettingsFile(opts.settings)
  } catch (err) {
    process.stderr.write(`perkville-destination plan: ${(err as Error).message}\n`)
    return 2
  }
  let input: Readable = process.stdin
  if (eventsFile !== undefined && eventsFile !== '-') {
    input = createReadStream(eventsFile)
    try {
      await once(input, 'open')
    } catch (err) {
      process.stderr.write(
        `perkville-destination plan: cannot read ${eventsFile}: ${(err as NodeJS.ErrnoException).code}\n`,
      )
      return 1
    }
  }
  await runPlan(settings, { input, output: process.stdout })
  return 0
}
