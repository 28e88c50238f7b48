import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { SettingsError } from '../../core/settings.js'
import type { ServerDeps } from '../deps.js'
import { HttpError } from '../http-error.js'

const historyQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(1_000).optional() })

/**
 * The destination settings under /admin/settings, registered inside the admin plugin so its
 * admin-token check covers them: the version in force (key redacted), a new version from the same
 * JSON as the settings file, and the history. A PUT with any problem changes nothing.
 */
export function registerSettingsRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const versions = () => {
    if (!deps.settingsVersions) throw new HttpError(404, 'settings are not kept by this server', 'NOT_FOUND')
    return deps.settingsVersions
  }
  const typed = app.withTypeProvider<ZodTypeProvider>()

  const withCheck = <T extends object>(answer: T) =>
    deps.settingsCheck ? { ...answer, check: deps.settingsCheck.view() } : answer

  typed.get('/settings', async () => withCheck(versions().view()))

  // The check, run now on the settings in force (the service also runs it at start and on changes).
  typed.post('/settings/check', async () => {
    const control = versions()
    if (!deps.settingsCheck) throw new HttpError(404, 'this server runs no settings check', 'NOT_FOUND')
    return deps.settingsCheck.run(control.settings)
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
