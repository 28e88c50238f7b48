import { type Settings, SettingsError } from '../../core/settings.js'
import { Checkpoint, defaultCheckpointPath } from './checkpoint.js'
import { type DryRunSummary, dryRun } from './dry-run.js'
import { examineInputs, InputError } from './inputs.js'
import { loadMapping, type Mapping, MappingError } from './mapping.js'
import { type ImportOptions, OptionsError, type RawImportOptions, resolveImportOptions } from './options.js'
import { formatPlanSummary } from './plan-summary.js'
import { type Progress, startProgress } from './progress.js'
import { Report } from './report.js'
import { sendAll } from './send-run.js'
import { Sender } from './sender.js'
import { dryRunSettings, SettingsUnavailable } from './settings-source.js'
import { fmt, formatSeconds, Tally } from './tally.js'

/** Exit statuses of `import`. */
export const EXIT = { ok: 0, refused: 1, usage: 2, interrupted: 130 } as const

const say = (text: string) => process.stderr.write(`perkville-destination import: ${text}\n`)

/** `perkville-destination import [options] FILE...` — see docs/import.md. */
export async function importCommand(files: string[], raw: RawImportOptions): Promise<number> {
  let opts: ImportOptions
  let mapping: Mapping | null = null
  try {
    opts = resolveImportOptions(raw)
    if (opts.mappingFile !== undefined || opts.mapPairs.length > 0)
      mapping = loadMapping(opts.mappingFile, opts.mapPairs)
  } catch (err) {
    if (err instanceof OptionsError || err instanceof MappingError) {
      for (const problem of err.problems) say(problem)
      return EXIT.usage
    }
    throw err
  }
  let inputs: Awaited<ReturnType<typeof examineInputs>>
  try {
    inputs = await examineInputs(files.length > 0 ? files : ['-'], opts.format, mapping)
  } catch (err) {
    if (err instanceof InputError) {
      say(err.message)
      return EXIT.usage
    }
    if (err instanceof MappingError) {
      for (const problem of err.problems) say(problem)
      return EXIT.usage
    }
    throw err
  }
  const tally = new Tally()
  tally.total = inputs.every((i) => i.lines !== null) ? inputs.reduce((n, i) => n + i.lines!, 0) : null
  return opts.dryRun ? dryRunCommand(opts, inputs, mapping, tally) : sendCommand(opts, inputs, mapping, tally)
}

async function dryRunCommand(
  opts: ImportOptions,
  inputs: Awaited<ReturnType<typeof examineInputs>>,
  mapping: Mapping | null,
  tally: Tally,
): Promise<number> {
  let settings: Settings
  try {
    settings = await dryRunSettings(opts)
  } catch (err) {
    if (!(err instanceof SettingsError) && !(err instanceof SettingsUnavailable)) throw err
    say(err.message)
    return EXIT.usage
  }
  const progress = startProgress(tally, process.stderr, opts.progressIntervalMs)
  const report = new Report(opts.report)
  let summary: DryRunSummary
  try {
    summary = await dryRun(
      settings,
      inputs,
      mapping,
      opts.source,
      tally,
      () => {
        tally.decided++
        progress.update()
      },
      (place, code, reason) =>
        report.add({ file: inputs[place.input]!.name, line: place.line, code, reason }),
    )
  } finally {
    progress.stop()
    report.close()
  }
  const code = summary.refusedRecords > 0 ? EXIT.refused : EXIT.ok
  if (opts.json)
    process.stdout.write(
      `${JSON.stringify({ dryRun: true, ...summary, report: report.count > 0 ? report.path : null, exitCode: code })}\n`,
    )
  else {
    const extra: string[] = []
    const problems = Object.entries(summary.inputProblems)
    if (problems.length > 0)
      extra.push(`  rows that make no event: ${problems.map(([c, n]) => `${c} ${fmt(n)}`).join(', ')}`)
    if (summary.missingIdentity > 0)
      extra.push(
        `  without userId or anonymousId (the service drops these, as Segment does): ${fmt(summary.missingIdentity)}`,
      )
    if (summary.tooLarge > 0)
      extra.push(`  over the 32 KB event limit (would be refused): ${fmt(summary.tooLarge)}`)
    if (summary.refusedRecords > 0)
      extra.push(
        `  would be refused: ${fmt(summary.refusedRecords)}, each listed with its file and line in ${report.path}`,
      )
    process.stdout.write(
      `Dry run of ${inputs.map((i) => i.name).join(', ')} (nothing was sent):\n${formatPlanSummary(summary)}\n${extra.map((l) => `${l}\n`).join('')}`,
    )
  }
  return code
}

async function sendCommand(
  opts: ImportOptions,
  inputs: Awaited<ReturnType<typeof examineInputs>>,
  mapping: Mapping | null,
  tally: Tally,
): Promise<number> {
  // At a set rate a batch holds at most a quarter second of events, so sending (and progress) stays smooth.
  const batchSize = opts.rate > 0 ? Math.min(opts.batchSize, Math.ceil(opts.rate / 4)) : opts.batchSize
  const sender = new Sender(
    {
      url: opts.url,
      writeKey: opts.writeKey!,
      rate: opts.rate,
      concurrency: opts.concurrency,
      maxBatch: batchSize,
      retryForMs: opts.retryForMs,
      timeoutMs: opts.timeoutMs,
    },
    (why, waitMs) => {
      tally.retries++
      if (tally.retries <= 3 || tally.retries % 50 === 0)
        say(
          `the service answered ${why}; sending again in ${(waitMs / 1000).toFixed(1)} s (retry ${tally.retries})`,
        )
    },
  )
  try {
    const unreachable = await sender.unreachable()
    if (unreachable !== null) {
      say(`cannot reach the service at ${opts.url} (${unreachable}); is it running? (--url)`)
      return EXIT.usage
    }
    const checkpoint = openCheckpoint(opts, inputs, mapping)
    const report = new Report(opts.report)
    const stopping = { requested: false }
    const onSignal = () => {
      if (stopping.requested) {
        checkpoint?.save()
        process.exit(EXIT.interrupted)
      }
      stopping.requested = true
      say('stopping: finishing the requests in flight (Ctrl-C again to quit at once)')
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    const progress: Progress = startProgress(tally, process.stderr, opts.progressIntervalMs)
    let end: Awaited<ReturnType<typeof sendAll>>
    try {
      end = await sendAll({
        inputs,
        mapping,
        source: opts.source,
        batchSize,
        concurrency: opts.concurrency,
        sender,
        checkpoint,
        report,
        tally,
        progress,
        stopping,
      })
    } finally {
      progress.stop()
      report.close()
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
    const code =
      end.aborted !== null
        ? EXIT.usage
        : stopping.requested
          ? EXIT.interrupted
          : tally.problems > 0
            ? EXIT.refused
            : EXIT.ok
    printSummary(opts, inputs, tally, report, checkpoint, end.aborted, code)
    return code
  } finally {
    await sender.close()
  }
}

function openCheckpoint(
  opts: ImportOptions,
  inputs: Awaited<ReturnType<typeof examineInputs>>,
  mapping: Mapping | null,
): Checkpoint | null {
  if (opts.checkpoint === null) return null
  if (inputs.some((i) => i.identity === null)) {
    say(
      'standard input cannot be resumed from a checkpoint; a re-run sends everything again (duplicates are recognised)',
    )
    return null
  }
  const path =
    opts.checkpoint ??
    defaultCheckpointPath(
      inputs.map((i) => i.name),
      opts.url,
    )
  const key = JSON.stringify({ source: opts.source, mapping, formats: inputs.map((i) => i.format) })
  const opened = Checkpoint.open(
    path,
    key,
    inputs.map((i) => i.identity!),
  )
  if (opened.note) say(opened.note)
  return opened.checkpoint
}

function printSummary(
  opts: ImportOptions,
  inputs: Awaited<ReturnType<typeof examineInputs>>,
  tally: Tally,
  report: Report,
  checkpoint: Checkpoint | null,
  aborted: string | null,
  code: number,
): void {
  if (opts.json) {
    const summary = {
      dryRun: false,
      inputs: inputs.map((i) => i.name),
      ...tally.toJSON(),
      refusedByCode: report.codes(),
      report: report.count > 0 ? report.path : null,
      checkpoint: checkpoint?.path ?? null,
      stoppedBecause: aborted ?? (code === EXIT.interrupted ? 'interrupted' : null),
      exitCode: code,
    }
    process.stdout.write(`${JSON.stringify(summary)}\n`)
  } else {
    const seconds = (Date.now() - tally.startedAt) / 1000
    const lines = [
      `Import of ${inputs.map((i) => i.name).join(', ')} into ${opts.url}: ${fmt(tally.read)} records read in ${formatSeconds(seconds)} (${fmt(Math.round(tally.rate()))} events/s)`,
      `  accepted  ${fmt(tally.accepted)}${
        tally.detailed ? `  (new ${fmt(tally.queued)}, already there ${fmt(tally.duplicates)})` : ''
      }`,
      ...(tally.ruleSkips > 0
        ? [`  skipped by the rules ${fmt(tally.ruleSkips)}  (nothing to award, not an error)`]
        : []),
      `  refused   ${fmt(tally.problems)}${
        tally.problems > 0
          ? `  (before the service ${fmt(tally.refused)}, by its rules ${fmt(tally.rejected)}${
              report.count > 0
                ? `: ${Object.entries(report.codes())
                    .map(([c, n]) => `${c} ${fmt(n)}`)
                    .join(', ')}) — each listed with its file and line in ${report.path}`
                : ')'
            }`
          : ''
      }`,
    ]
    if (tally.alreadyImported > 0)
      lines.push(`  already imported by an earlier run (checkpoint): ${fmt(tally.alreadyImported)}`)
    if (tally.retries > 0) lines.push(`  requests sent again: ${fmt(tally.retries)}`)
    process.stdout.write(`${lines.join('\n')}\n`)
  }
  if (aborted !== null) say(`stopped: ${aborted}. Run the same command again to resume.`)
  else if (code === EXIT.interrupted) say('interrupted. Run the same command again to resume.')
}
