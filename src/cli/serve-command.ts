import { startupBanner } from '../server/banner.js'
import { ConfigError, loadConfig } from '../server/config.js'
import { type RunningService, startService } from '../server/service-runner.js'
import { applyHeapSettings } from './heap.js'

/** Longest a shutdown may take before the process exits anyway. */
const HARD_EXIT_MS = 10_000

/** Options exactly as commander hands them over (see the `serve` block in index.ts). */
export type ServeOptions = Record<string, unknown>

/**
 * `perkville-destination serve`: resolve the configuration, start the service, print the banner,
 * and stop cleanly on SIGTERM/SIGINT. Resolves with the exit code once the service has stopped.
 */
export async function serveCommand(opts: ServeOptions): Promise<number> {
  applyHeapSettings()
  let running: RunningService
  try {
    const config = loadConfig({ cli: opts, env: process.env })
    running = await startService(config)
  } catch (err) {
    const message = err instanceof ConfigError || err instanceof Error ? err.message : String(err)
    process.stderr.write(`perkville-destination serve: ${message}\n`)
    return 2
  }
  process.stdout.write(startupBanner(running.banner))

  let resolve: (code: number) => void = () => {}
  const stopped = new Promise<number>((done) => {
    resolve = done
  })
  let signals = 0
  const onSignal = (signal: NodeJS.Signals) => {
    signals++
    if (signals > 1) {
      running.logger.warn({ signal }, 'second signal during shutdown; exiting now')
      process.exit(1)
    }
    // Last resort: something (a hung delivery, a stuck socket) must not keep the process alive.
    setTimeout(() => {
      running.logger.error({ afterMs: HARD_EXIT_MS }, 'shutdown did not finish in time; exiting anyway')
      process.exit(1)
    }, HARD_EXIT_MS - 500).unref()
    running.stop(`received ${signal}`).then(
      () => resolve(0),
      (err) => {
        running.logger.error({ err }, 'shutdown failed')
        resolve(1)
      },
    )
  }
  process.on('SIGHUP', () => void running.reloadSettings())
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  return stopped
}
