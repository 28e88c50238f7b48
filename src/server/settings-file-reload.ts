import { readFileSync } from 'node:fs'
import type { Logger } from 'pino'
import { parseSettingsJson, SettingsError } from '../core/settings.js'
import type { SettingsVersions } from './settings-versions.js'

/**
 * SIGHUP: read the --settings file again and make it the settings in force when it changed. A file
 * with problems changes nothing; the log says what is wrong and where, never what the file holds.
 */
export async function reloadSettingsFile(
  path: string | null,
  versions: SettingsVersions,
  logger: Logger,
): Promise<void> {
  if (path === null) {
    logger.warn('SIGHUP: no --settings file to read again; settings unchanged')
    return
  }
  try {
    const given = parseSettingsJson(readFileSync(path, 'utf8'), `settings file ${path}`)
    const { version, changed } = await versions.apply(given, 'file')
    logger.info(
      { version, changed, file: path },
      changed ? 'SIGHUP: settings file applied' : 'SIGHUP: settings file unchanged',
    )
  } catch (err) {
    const problems =
      err instanceof SettingsError
        ? err.problems
        : [`cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`]
    logger.warn({ file: path, problems }, 'SIGHUP: the settings file was not applied; settings unchanged')
  }
}
