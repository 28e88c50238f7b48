/**
 * `sandbox`: runs the Perkville sandbox until SIGINT/SIGTERM, printing its URL and token (a sandbox
 * token, not a secret). Fault options are the same fields `PUT /_sandbox/faults` takes.
 */
import { resolve } from 'node:path'
import type { Faults } from '../sandbox/faults.js'
import {
  BehaviourError,
  DAILY_LIMIT_ANSWERS,
  type DailyLimitAnswer,
  FaultsError,
  loadSeedFile,
  parseBehaviour,
  parseFaults,
  type ResolvedBehaviour,
  SeedError,
  startSandbox,
} from '../sandbox/index.js'

export interface SandboxCommandOptions {
  port: string
  host: string
  dataDir?: string
  seed?: string
  memory?: boolean
  token?: string
  log?: boolean
  outage?: boolean
  errorRate?: string
  errorStatus?: string
  rateLimitRate?: string
  retryAfter?: string
  retryAfterFormat?: string
  latencyMs?: string
  latencyJitterMs?: string
  hangRate?: string
  commitThenFailRate?: string
  commitThenFailMode?: string
  faultScope?: string
  faultSeed?: string
  dailyLimitAnswer?: string
  duplicateAnswer?: string
  /** false with --no-dedup */
  dedup?: boolean
  /** false with --no-lookup-filter */
  lookupFilter?: boolean
}

export { DEFAULT_SANDBOX_PORT } from './defaults.js'

class UsageError extends Error {}

/** Runs until a signal; resolves with the exit code. */
export async function sandboxCommand(opts: SandboxCommandOptions): Promise<number> {
  let faults: Faults
  let behaviour: ResolvedBehaviour
  let port: number
  let dailyLimitAnswer: DailyLimitAnswer | undefined
  try {
    if (opts.dataDir !== undefined && opts.memory)
      throw new UsageError('give --data-dir or --memory, not both')
    port = integer('--port', opts.port)
    if (port > 65535) throw new UsageError('--port must be at most 65535')
    faults = parseFaults(faultsFromOptions(opts))
    dailyLimitAnswer = dailyLimitAnswerOption(opts.dailyLimitAnswer)
    behaviour = parseBehaviour({
      ...(opts.duplicateAnswer === undefined ? {} : { duplicateAnswer: opts.duplicateAnswer }),
      ...(opts.dedup === false ? { dedup: false } : {}),
      ...(opts.lookupFilter === false ? { lookupFilter: false } : {}),
    })
  } catch (e) {
    if (e instanceof UsageError || e instanceof FaultsError || e instanceof BehaviourError) {
      process.stderr.write(`perkville-destination sandbox: ${e.message}\n`)
      return 2
    }
    throw e
  }
  let sandbox: Awaited<ReturnType<typeof startSandbox>>
  try {
    const seed = opts.seed === undefined ? undefined : loadSeedFile(opts.seed)
    sandbox = await startSandbox({
      port,
      host: opts.host,
      ...(opts.dataDir === undefined ? { memory: true } : { dataDir: resolve(opts.dataDir) }),
      ...(seed === undefined ? {} : { seed }),
      ...(opts.token === undefined ? {} : { token: opts.token }),
      faults,
      behaviour,
      logger: opts.log ?? false,
      ...(dailyLimitAnswer === undefined ? {} : { dailyLimitAnswer }),
    })
  } catch (e) {
    const message = e instanceof SeedError ? e.message : `cannot start: ${(e as Error).message}`
    process.stderr.write(`perkville-destination sandbox: ${message}\n`)
    return e instanceof SeedError ? 2 : 1
  }
  process.stdout.write(
    [
      `Perkville sandbox listening`,
      `url: ${sandbox.url}`,
      `token: ${sandbox.token}`,
      `token endpoint: ${sandbox.origin}/api/token/ (resource-owner grant; see docs/sandbox.md)`,
      `data: ${opts.dataDir === undefined ? 'in memory' : resolve(opts.dataDir)}`,
      `faults: ${JSON.stringify(faults)}`,
      `behaviour: ${JSON.stringify(behaviour)}`,
      '',
    ].join('\n'),
  )
  let onSignal: (signal: string) => void = () => {}
  const signal = await new Promise<string>((done) => {
    onSignal = done
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
  })
  process.off('SIGINT', onSignal)
  process.off('SIGTERM', onSignal)
  await sandbox.close()
  process.stdout.write(`Perkville sandbox stopped (${signal})\n`)
  return 0
}

function faultsFromOptions(o: SandboxCommandOptions): Record<string, unknown> {
  const f: Record<string, unknown> = {}
  if (o.outage) f.outage = true
  if (o.errorRate !== undefined) f.errorRate = num('--error-rate', o.errorRate)
  if (o.errorStatus !== undefined) f.errorStatus = integer('--error-status', o.errorStatus)
  if (o.rateLimitRate !== undefined) f.rateLimitRate = num('--rate-limit-rate', o.rateLimitRate)
  if (o.retryAfter !== undefined)
    f.retryAfter = /^\d+$/.test(o.retryAfter) ? Number(o.retryAfter) : o.retryAfter
  if (o.retryAfterFormat !== undefined) f.retryAfterFormat = o.retryAfterFormat
  if (o.latencyMs !== undefined) f.latencyMs = integer('--latency-ms', o.latencyMs)
  if (o.latencyJitterMs !== undefined) f.latencyJitterMs = integer('--latency-jitter-ms', o.latencyJitterMs)
  if (o.hangRate !== undefined) f.hangRate = num('--hang-rate', o.hangRate)
  if (o.commitThenFailRate !== undefined)
    f.commitThenFailRate = num('--commit-then-fail-rate', o.commitThenFailRate)
  if (o.commitThenFailMode !== undefined) f.commitThenFailMode = o.commitThenFailMode
  if (o.faultScope !== undefined) f.scope = o.faultScope
  if (o.faultSeed !== undefined) f.seed = integer('--fault-seed', o.faultSeed)
  return f
}

function dailyLimitAnswerOption(text: string | undefined): DailyLimitAnswer | undefined {
  if (text === undefined) return undefined
  const form = DAILY_LIMIT_ANSWERS.find((f) => f === text)
  if (form === undefined)
    throw new UsageError(
      `--daily-limit-answer must be one of ${DAILY_LIMIT_ANSWERS.join(', ')}, got ${JSON.stringify(text)}`,
    )
  return form
}

function num(name: string, text: string): number {
  const n = Number(text)
  if (text.trim() === '' || !Number.isFinite(n))
    throw new UsageError(`${name} must be a number, got ${JSON.stringify(text)}`)
  return n
}

function integer(name: string, text: string): number {
  if (!/^\d+$/.test(text.trim()))
    throw new UsageError(`${name} must be a whole number, got ${JSON.stringify(text)}`)
  return Number(text)
}
