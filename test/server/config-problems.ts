import { expect } from 'vitest'
import { ConfigError, loadConfig } from '../../src/server/config.js'

/** The problems loadConfig reports for these sources; fails the test when it accepts them. */
export function configProblems(cli: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    loadConfig({ cli, env })
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return (err as ConfigError).problems
  }
  throw new Error('expected a ConfigError')
}
