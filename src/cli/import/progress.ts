import cliProgress from 'cli-progress'
import { fmt, formatSeconds, type Tally } from './tally.js'

export interface Progress {
  /** Call after counters change; cheap (the display refreshes on its own schedule). */
  update(): void
  /** Last refresh and release of the terminal. */
  stop(): void
}

/**
 * On a terminal, a bar with events sent / accepted / refused, rate and time left (cli-progress,
 * redrawn in place on stderr). Elsewhere (a log, a pipe, CI) a plain line on stderr every
 * `intervalMs`, so long runs show they are alive without flooding the log.
 */
export function startProgress(tally: Tally, stream: NodeJS.WriteStream, intervalMs: number): Progress {
  return stream.isTTY ? barProgress(tally, stream) : lineProgress(tally, stream, intervalMs)
}

function barProgress(tally: Tally, stream: NodeJS.WriteStream): Progress {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format:
        ' {bar} {percentage}% | {done}{of} | sent {sent} | accepted {accepted} | refused {refused} | {rate} ev/s | {left}',
      barsize: 30,
      hideCursor: true,
      fps: 5,
      // cli-progress's own ETA reads a rolling buffer of updates; ours comes from the whole run.
      etaBuffer: 1,
      noTTYOutput: false,
    },
    cliProgress.Presets.shades_classic,
  )
  const payload = () => {
    const left = tally.secondsLeft()
    return {
      done: fmt(tally.settled),
      of: tally.total === null ? '' : `/${fmt(tally.total)}`,
      sent: fmt(tally.sent),
      accepted: fmt(tally.accepted),
      refused: fmt(tally.problems),
      rate: fmt(Math.round(tally.rate())),
      left: left === null ? '' : `${formatSeconds(left)} left`,
    }
  }
  bar.start(tally.total ?? 0, 0, payload())
  return {
    update() {
      if (tally.total !== null && bar.getTotal() !== tally.total) bar.setTotal(tally.total)
      bar.update(Math.min(tally.settled, tally.total ?? tally.settled), payload())
    },
    stop() {
      this.update()
      bar.stop()
    },
  }
}

function lineProgress(tally: Tally, stream: NodeJS.WriteStream, intervalMs: number): Progress {
  const timer = setInterval(() => stream.write(`import: ${tally.line()}\n`), intervalMs)
  timer.unref()
  return {
    update() {},
    stop() {
      clearInterval(timer)
      // The last line has the final counts, however short the run.
      stream.write(`import: ${tally.line()}\n`)
    },
  }
}
