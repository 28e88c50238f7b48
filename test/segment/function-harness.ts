import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import vm from 'node:vm'

/** The four error classes Segment's Function runtime provides as globals. */
export class EventNotSupported extends Error {
  override name = 'EventNotSupported'
}
export class InvalidEventPayload extends Error {
  override name = 'InvalidEventPayload'
}
export class ValidationError extends Error {
  override name = 'ValidationError'
}
export class RetryError extends Error {
  override name = 'RetryError'
}

export type Handler = (event: unknown, settings: unknown) => Promise<unknown>
export const HANDLERS = ['onTrack', 'onIdentify', 'onPage', 'onScreen', 'onGroup', 'onAlias'] as const
export type HandlerName = (typeof HANDLERS)[number]

/** Builds the file exactly as `npm run build:function` does, into a private place, and reads it. */
export async function buildFunction(): Promise<{ code: string; stdout: string }> {
  const workDir = await mkdtemp(join(tmpdir(), 'perkville-fn-'))
  try {
    const outFile = join(workDir, 'segment-function.js')
    const { stdout } = await promisify(execFile)(process.execPath, ['scripts/build-function.mjs', outFile])
    return { code: await readFile(outFile, 'utf8'), stdout }
  } finally {
    await rm(workDir, { recursive: true, force: true })
  }
}

/**
 * A fresh context as Segment gives one: the language built-ins, `fetch`, console and the error
 * classes, with the built file run in it.
 */
export function loadFunction(
  code: string,
  fetchImpl: unknown = (...args: Parameters<typeof fetch>) => fetch(...args),
) {
  const context = vm.createContext({
    EventNotSupported,
    InvalidEventPayload,
    ValidationError,
    RetryError,
    fetch: fetchImpl,
    console,
  })
  vm.runInContext(code, context, { filename: 'segment-function.js' })
  const handlers = Object.fromEntries(HANDLERS.map((name) => [name, context[name] as Handler])) as Record<
    HandlerName,
    Handler
  >
  /**
   * Values built inside the context by JSON.parse, as Segment hands the function events and settings
   * (an object literal would turn a `__proto__` key into the prototype instead of an own key).
   */
  const local = (value: unknown) =>
    vm.runInContext(`JSON.parse(${JSON.stringify(JSON.stringify(value))})`, context)
  const dispatch = (event: Record<string, unknown>, settings: unknown) => {
    const type = String(event.type)
    const name = `on${type.charAt(0).toUpperCase()}${type.slice(1)}` as HandlerName
    const handler = handlers[name]
    if (!handler) throw new Error(`no handler for ${type}`)
    return handler(local(event), local(settings))
  }
  return { context, handlers, local, dispatch }
}
