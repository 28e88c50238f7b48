import { type Command, Option } from 'commander'
import {
  CONFIG_FILE_OPTION,
  defaultText,
  flagName,
  OPTIONS,
  type OptionSpec,
} from '../server/options-table.js'

/**
 * Adds every option of the table to the `serve` command, with help that names the environment
 * variables and the default. Commander is given no default values: an option it reports is one the
 * operator gave, which is what lets the environment and the config file fill in the rest.
 */
export function addServeOptions(command: Command): Command {
  command.addOption(
    new Option(CONFIG_FILE_OPTION.cli, `${CONFIG_FILE_OPTION.description} (env ${CONFIG_FILE_OPTION.env})`),
  )
  for (const spec of Object.values(OPTIONS) as OptionSpec[]) {
    if (spec.cli === undefined) continue
    const option = new Option(spec.cli, helpText(spec))
    if (spec.repeatable) option.argParser((value: string, all: string[] = []) => [...all, value])
    command.addOption(option)
    if (spec.negatable) {
      const name = flagName(spec.cli).replace(/^--/, '')
      command.addOption(new Option(`--no-${name}`, `turn ${flagName(spec.cli)} off`))
    }
  }
  return command
}

export function helpText(spec: OptionSpec): string {
  const notes = [
    ...(spec.env?.length ? [`env ${spec.env.join(' or ')}`] : []),
    `default ${defaultText(spec)}`,
  ]
  // Markdown code marks suit the docs, not a terminal.
  return `${spec.description} (${notes.join('; ')})`.replaceAll('`', '')
}
