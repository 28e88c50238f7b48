import { type Batch, Batcher, lastLine, serialise } from './batches.js'
import type { Checkpoint } from './checkpoint.js'
import { type Input, readInputs } from './inputs.js'
import type { Mapping } from './mapping.js'
import { MessageIds } from './message-id.js'
import type { Progress } from './progress.js'
import type { InputRecord } from './record.js'
import type { Report } from './report.js'
import { type Counts, SendAbort, type Sender } from './sender.js'
import type { Tally } from './tally.js'

/** How often the checkpoint is written while batches are being accepted. */
const CHECKPOINT_EVERY_MS = 250

export interface SendRun {
  inputs: Input[]
  mapping: Mapping | null
  source: string
  batchSize: number
  concurrency: number
  sender: Sender
  checkpoint: Checkpoint | null
  report: Report
  tally: Tally
  progress: Progress
  /** Set when the user asked to stop (Ctrl-C): no new batch starts, in-flight ones finish. */
  stopping: { requested: boolean }
}

/** What ended the run early, if anything: the service could not be used. */
export type SendEnd = { aborted: null } | { aborted: string }

/**
 * Reads the inputs, gives each event its stable messageId, and sends the events in batches with
 * `concurrency` requests in flight. Lines a previous run already delivered (the checkpoint) are
 * read (their ids depend on what precedes them) but not sent. Bad input is reported and the run
 * goes on.
 */
export async function sendAll(run: SendRun): Promise<SendEnd> {
  const { tally, report, checkpoint, progress } = run
  let abort: string | null = null
  const refuse = (input: number, line: number, code: string, reason: string) => {
    report.add({ file: run.inputs[input]!.name, line, code, reason })
    tally.refused++
    progress.update()
  }

  async function* batches(): AsyncGenerator<Batch> {
    const batcher = new Batcher(run.batchSize)
    let ids: MessageIds | null = null
    let current = -1
    for await (const record of readInputs(run.inputs, run.mapping) as AsyncIterable<InputRecord>) {
      if (run.stopping.requested || abort !== null) return
      tally.read++
      if (record.input !== current) {
        current = record.input
        ids = new MessageIds(run.source)
      }
      if (record.kind === 'bad') {
        refuse(record.input, record.line, record.problem.code, record.problem.message)
        continue
      }
      if (record.kind === 'not-object') {
        refuse(
          record.input,
          record.line,
          'INVALID_EVENT',
          'the line is JSON but not an object; an event must be one',
        )
        continue
      }
      ids!.assign(record.event)
      if (checkpoint?.has(record.input, record.line)) {
        tally.alreadyImported++
        progress.update()
        continue
      }
      const text = serialise(record.event)
      if ('tooLarge' in text) {
        refuse(
          record.input,
          record.line,
          'EVENT_TOO_LARGE',
          `the event is ${text.tooLarge} bytes, over the 32 KB limit`,
        )
        continue
      }
      const full = batcher.add(record.input, { line: record.line, ...text })
      if (full) yield full
    }
    const last = batcher.flush()
    if (last) yield last
  }

  /**
   * The service's rules drop some events (not allowlisted, no email, an order already awarded, …).
   * Skips are not errors; the rest are refusals, each reported at its line. A service that only
   * counts them per batch gets one report entry for the batch's lines.
   */
  const noteRuleDrops = (batch: Batch, part: Counts) => {
    tally.ruleSkips += part.skipped ?? 0
    const file = run.inputs[batch.input]!.name
    if (part.refusals) {
      const known = part.refusals.filter((r) => r.index < batch.items.length)
      tally.rejected += known.length
      for (const r of known)
        report.add({ file, line: batch.items[r.index]!.line, code: r.code, reason: r.message })
      return
    }
    const rejected = part.rejected ?? (part.skipped === undefined ? part.dropped : undefined) ?? 0
    if (rejected === 0) return
    tally.rejected += rejected
    const first = batch.items[0]!.line
    const last = lastLine(batch)
    report.add(
      {
        file,
        line: first,
        lastLine: last,
        code: 'REJECTED_BY_RULES',
        reason: `${rejected} of the ${batch.items.length} events on lines ${first}-${last} were refused by the service's rules; each one with its reason: --dry-run --settings FILE, or GET /admin/dropped`,
      },
      rejected,
    )
  }

  let saveTimer: NodeJS.Timeout | null = null
  const saveSoon = () => {
    if (!checkpoint || saveTimer) return
    saveTimer = setTimeout(() => {
      saveTimer = null
      checkpoint.save()
    }, CHECKPOINT_EVERY_MS)
  }

  const source = batches()
  const worker = async () => {
    for (;;) {
      if (abort !== null) return
      const next = await source.next()
      if (next.done) return
      const batch = next.value
      await run.sender.pace(batch.items.length)
      tally.sent += batch.items.length
      progress.update()
      let result: Awaited<ReturnType<Sender['send']>>
      try {
        result = await run.sender.send(batch)
      } catch (err) {
        if (!(err instanceof SendAbort)) throw err
        abort ??= err.message
        return
      }
      for (const part of result.accepted) {
        tally.answered += part.batch.items.length
        if (part.queued !== undefined) {
          tally.detailed = true
          tally.queued += part.queued
          tally.duplicates += part.duplicates ?? 0
          tally.dropped += part.dropped ?? 0
        }
        noteRuleDrops(part.batch, part)
        checkpoint?.add(part.batch.input, part.batch.spanStart, lastLine(part.batch))
      }
      for (const r of result.refused) refuse(batch.input, r.line, r.code, r.reason)
      saveSoon()
      progress.update()
    }
  }
  try {
    const outcomes = await Promise.allSettled(Array.from({ length: run.concurrency }, worker))
    const failed = outcomes.find((o) => o.status === 'rejected')
    if (failed) throw (failed as PromiseRejectedResult).reason
  } finally {
    if (saveTimer) clearTimeout(saveTimer)
    checkpoint?.save()
  }
  return abort === null ? { aborted: null } : { aborted: abort }
}
