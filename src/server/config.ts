import { readFileSync } from 'node:fs'
import { parseJson } from '../core/json-syntax.js'
import { parseSettings, parseSettingsJson, type Settings, SettingsError } from '../core/settings.js'
import { kind } from './option-types.js'
import {
  CONFIG_FILE_OPTION,
  cliKey,
  flagName,
  OPTIONS,
  type OptionName,
  type OptionSpec,
  type OptionValues,
} from './options-table.js'

/**
 * The service configuration. Every option may come from the command line, an environment variable,
 * or the JSON config file, in that order of precedence, else its default (options-table.ts). Each
 * value is validated on its own so a message can say which option, from which source, is wrong —
 * and secret options never have their value repeated. The destination settings are read here too,
 * so one start reports every problem at once.
 */
export type ServiceConfig = Omit<OptionValues, 'settings'> & {
  /** The destination settings, read and checked; null when none were given. */
  settings: Settings | null
  /** Whether the embedded sandbox stands in for Perkville. */
  mode: 'embedded-sandbox' | 'perkville'
  /** The config file read, if any. */
  configFile: string | null
  /** Where each option's value came from, e.g. { port: '--port (command line)' }. */
  sources: Record<OptionName, string>
}

export type { LogLevel } from './option-types.js'

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`)
    this.name = 'ConfigError'
  }
}

export interface ConfigSources {
  /** Options as commander parsed them (keys as commander names the flags, plus `config`). */
  cli: Record<string, unknown>
  env: NodeJS.ProcessEnv
}

const SPECS = Object.entries(OPTIONS) as Array<[OptionName, OptionSpec]>

/** Resolves the configuration from all sources; throws ConfigError listing every problem found. */
export function loadConfig({ cli, env }: ConfigSources): ServiceConfig {
  const problems: string[] = []
  const configKey = cliKey(CONFIG_FILE_OPTION.cli)
  const configFile = pick(cli[configKey], env[CONFIG_FILE_OPTION.env])
  let file: Record<string, unknown> = {}
  if (configFile !== undefined) {
    const where = cli[configKey] !== undefined ? flagName(CONFIG_FILE_OPTION.cli) : CONFIG_FILE_OPTION.env
    try {
      file = readConfigFile(String(configFile))
    } catch (err) {
      problems.push(`${where}: ${(err as Error).message}`)
    }
  }

  const values: Record<string, unknown> = {}
  const sources: Record<string, string> = {}
  for (const [name, spec] of SPECS) {
    const found = findValue(spec, cli, env, file, configFile === undefined ? '' : String(configFile))
    sources[name] = found.source
    const parsed = spec.type.safeParse(found.value)
    if (parsed.success) values[name] = parsed.data
    else problems.push(`${found.source}: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`)
  }
  const options = values as OptionValues
  const read = (...names: OptionName[]) => names.every((name) => name in values)
  // Each step runs when the options it needs were read, so one start reports every problem.
  const settings = read('settingsFile', 'settings') ? readSettings(options, sources, problems) : null
  const mode = read('sandbox', 'perkvilleUrl') ? chooseMode(options, sources, problems) : null
  if (read('headersTimeoutMs', 'requestTimeoutMs') && options.headersTimeoutMs > options.requestTimeoutMs) {
    problems.push(`${sources.headersTimeoutMs} must not be longer than ${sources.requestTimeoutMs}`)
  }
  if (read('alertEmails', 'smtpUrl') && options.alertEmails.length > 0 && options.smtpUrl === null) {
    problems.push(
      `${sources.alertEmails} needs ${flagName(OPTIONS.smtpUrl.cli)}: the mail server alert emails go through`,
    )
  }
  if (problems.length > 0 || mode === null) throw new ConfigError(problems)
  return {
    ...options,
    settings,
    mode,
    configFile: configFile === undefined ? null : String(configFile),
    sources: sources as Record<OptionName, string>,
  }
}

/** Every option at its default (for tests and benchmarks that build parts of the service). */
export function defaultConfig(): ServiceConfig {
  return loadConfig({ cli: {}, env: {} })
}

function readSettings(
  options: OptionValues,
  sources: Record<string, string>,
  problems: string[],
): Settings | null {
  if (options.settingsFile !== null && options.settings !== null) {
    problems.push(`${sources.settingsFile} and ${sources.settings} both give settings; use one`)
    return null
  }
  try {
    if (options.settings !== null) return parseSettings(options.settings)
    if (options.settingsFile === null) return null
    let content: string
    try {
      content = readFileSync(options.settingsFile, 'utf8')
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error'
      problems.push(`${sources.settingsFile}: cannot read settings file ${options.settingsFile} (${code})`)
      return null
    }
    return parseSettingsJson(content, `settings file ${options.settingsFile}`)
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err
    const where = options.settings !== null ? sources.settings : sources.settingsFile
    problems.push(...err.problems.map((problem) => `${where}: ${problem}`))
    return null
  }
}

function chooseMode(
  options: OptionValues,
  sources: Record<string, string>,
  problems: string[],
): ServiceConfig['mode'] | null {
  if (options.sandbox && options.perkvilleUrl !== null) {
    problems.push(`${sources.sandbox} and ${sources.perkvilleUrl} contradict each other; give one`)
    return null
  }
  if (options.sandbox) return 'embedded-sandbox'
  const hasSettings = options.settingsFile !== null || options.settings !== null
  if (!hasSettings && options.perkvilleUrl !== null) {
    problems.push(
      `${flagName(OPTIONS.perkvilleUrl.cli)} needs ${flagName(OPTIONS.settingsFile.cli)} (or settings in the config file) with the apiKey`,
    )
    return null
  }
  return hasSettings ? 'perkville' : 'embedded-sandbox'
}

function findValue(
  spec: OptionSpec,
  cli: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  file: Record<string, unknown>,
  fileName: string,
): { value: unknown; source: string } {
  if (spec.cli !== undefined) {
    const value = cli[cliKey(spec.cli)]
    const given = Array.isArray(value) ? value.length > 0 : value !== undefined
    if (given) return { value, source: `${flagName(spec.cli)} (command line)` }
  }
  for (const name of spec.env ?? []) {
    const value = env[name]
    if (value !== undefined && value !== '') return { value, source: `${name} (environment)` }
  }
  let node: unknown = file
  for (const key of spec.file) {
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined
  }
  if (node !== undefined) return { value: node, source: `${spec.file.join('.')} (config file ${fileName})` }
  return { value: spec.default, source: 'default' }
}

function readConfigFile(path: string): Record<string, unknown> {
  let content: string
  try {
    content = readFileSync(path, 'utf8')
  } catch (err) {
    throw new Error(`cannot read config file ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  const result = parseJson(content)
  // Where, never what: the file may hold secrets.
  if (!result.ok) throw new Error(`config file ${path} is not valid JSON at ${result.message}`)
  const parsed = result.value
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`config file ${path} must hold a JSON object, got ${kind(parsed)}`)
  }
  const known = new Set(SPECS.map(([, spec]) => spec.file[0]))
  const unknown = Object.keys(parsed).filter((key) => !known.has(key))
  if (unknown.length > 0) {
    throw new Error(`config file ${path} has unknown option(s): ${unknown.join(', ')}`)
  }
  return parsed as Record<string, unknown>
}

function pick(...values: unknown[]): unknown {
  return values.find((value) => value !== undefined && value !== '')
}
