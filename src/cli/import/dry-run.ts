import { decide } from '../../core/decide.js'
import { toPlanLine } from '../../core/plan.js'
import type { Settings } from '../../core/settings.js'
import { hasIdentity } from '../../pipeline/door.js'
import { serialise } from './batches.js'
import { type Input, readInputs } from './inputs.js'
import type { Mapping } from './mapping.js'
import { MessageIds } from './message-id.js'
import { PlanSummarizer, type PlanSummary } from './plan-summary.js'
import type { InputRecord, RecordPlace } from './record.js'
import type { Tally } from './tally.js'

export interface DryRunSummary extends PlanSummary {
  /** Rows that make no event at all (CSV problems, bad timestamps), by code; never sent. */
  inputProblems: Record<string, number>
  /** Events the service would take but Segment drops: neither userId nor anonymousId. */
  missingIdentity: number
  /** Events over the 32 KB limit: decided above, but the import refuses to send them. */
  tooLarge: number
  /** Records that would be refused, before or by the service (each reported once, with its line). */
  refusedRecords: number
}

/** A record the import would refuse, with the first reason that refuses it. */
export type OnRefused = (place: RecordPlace, code: string, reason: string) => void

/**
 * Decides every event with the core exactly as `plan` does (a line that is not JSON is an
 * INVALID_JSON reject, anything else goes through `decide`) and aggregates the plan lines. Events
 * get their messageIds first, so what is decided is what would be sent.
 */
export async function dryRun(
  settings: Settings,
  inputs: Input[],
  mapping: Mapping | null,
  source: string,
  tally: Tally,
  onRecord: () => void,
  onRefused: OnRefused = () => {},
): Promise<DryRunSummary> {
  const summarizer = new PlanSummarizer()
  const inputProblems: Record<string, number> = {}
  let missingIdentity = 0
  let tooLarge = 0
  let refusedRecords = 0
  const refuse: OnRefused = (place, code, reason) => {
    refusedRecords++
    onRefused(place, code, reason)
  }
  let ids: MessageIds | null = null
  let current = -1
  for await (const record of readInputs(inputs, mapping) as AsyncIterable<InputRecord>) {
    tally.read++
    onRecord()
    if (record.input !== current) {
      current = record.input
      ids = new MessageIds(source)
    }
    if (record.kind === 'bad') {
      refuse(record, record.problem.code, record.problem.message)
      if (record.problem.code === 'INVALID_JSON') {
        summarizer.add({
          line: record.line,
          messageId: null,
          status: 'reject',
          error: { code: 'INVALID_JSON', message: record.problem.message },
        })
      } else inputProblems[record.problem.code] = (inputProblems[record.problem.code] ?? 0) + 1
      continue
    }
    if (record.kind === 'not-object') {
      const line = toPlanLine(record.line, record.value, decide(settings, record.value))
      summarizer.add(line)
      refuse(record, 'INVALID_EVENT', 'the line is JSON but not an object; an event must be one')
      continue
    }
    const event = record.event
    ids!.assign(event)
    const line = toPlanLine(record.line, event, decide(settings, event))
    summarizer.add(line)
    const size = serialise(event)
    if (!hasIdentity(event)) missingIdentity++
    if ('tooLarge' in size) {
      tooLarge++
      refuse(record, 'EVENT_TOO_LARGE', `the event is ${size.tooLarge} bytes, over the 32 KB limit`)
    } else if (!hasIdentity(event))
      refuse(record, 'MISSING_IDENTITY', 'neither userId nor anonymousId is set; Segment drops such events')
    else if (line.status === 'reject') refuse(record, line.error.code, line.error.message)
  }
  return { ...summarizer.summary(), inputProblems, missingIdentity, tooLarge, refusedRecords }
}
