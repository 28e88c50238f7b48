import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { parseSettings, type Settings, SettingsError } from '../../core/settings.js'
import type { ServerDeps } from '../deps.js'
import { HttpError } from '../http-error.js'
import { limitQuery, needed } from './admin-parts.js'

const historyQuery = limitQuery(1_000)

/**
 * The destination settings under /admin/settings, registered inside the admin plugin so its
 * admin-token check covers them: the version in force (key redacted), a new version from the same
 * JSON as the settings file, and the history. A PUT with any problem changes nothing.
 */
export function registerSettingsRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const versions = needed(() => deps.settingsVersions, 'settings are not kept by this server')
  const checker = needed(() => deps.settingsCheck, 'this server runs no settings check')
  const typed = app.withTypeProvider<ZodTypeProvider>()

  const withCheck = <T extends object>(answer: T) =>
    deps.settingsCheck ? { ...answer, check: deps.settingsCheck.view() } : answer

  typed.get('/settings', async () => withCheck(versions().view()))

  // The check, run now on the settings in force (the service also runs it at start and on changes);
  // with a body, on those settings instead (the API key left out: the one in force), saving nothing,
  // so the console can ask before saving settings that fail it.
  typed.post('/settings/check', async (request) => {
    const control = versions()
    const check = checker()
    const body = request.body
    if (body === undefined || body === null) return check.run(control.settings)
    let proposed: Settings
    try {
      proposed = parseSettings(
        typeof body === 'object' && !Array.isArray(body) && !Object.hasOwn(body, 'apiKey')
          ? { ...body, apiKey: control.settings.apiKey }
          : body,
      )
    } catch (err) {
      if (!(err instanceof SettingsError)) throw err
      throw new HttpError(400, err.message, 'INVALID_SETTINGS')
    }
    const items = await check.preview(proposed)
    return { state: items.every((i) => i.ok) ? 'ok' : 'problem', checkedAt: new Date().toISOString(), items }
  })

  typed.put('/settings', async (request) => {
    const control = versions()
    try {
      const { version, changed } = await control.apply(request.body, 'api')
      return withCheck({ ...control.view(), version, changed })
    } catch (err) {
      if (!(err instanceof SettingsError)) throw err
      // Each problem names the setting; none repeats the API key (settings.ts).
      throw new HttpError(400, err.message, 'INVALID_SETTINGS')
    }
  })

  typed.get('/settings/history', { schema: { querystring: historyQuery } }, async (request) => ({
    versions: await versions().history(request.query.limit ?? 50),
  }))
}
