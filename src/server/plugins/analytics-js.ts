import type { FastifyPluginAsync } from 'fastify'
import { type AnalyticsJsBundle, loadAnalyticsJsBundle } from '../analytics-js-bundle.js'
import { writeKeyChecker } from '../auth.js'
import type { ServerDeps } from '../deps.js'
import { HttpError } from '../http-error.js'
import { originUrl, type PublicOrigin, publicOrigin } from '../public-origin.js'

export interface AnalyticsJsOptions {
  deps: Pick<ServerDeps, 'writeKeys' | 'publicUrl'>
  /** Loaded from @segment/analytics-next when not given. */
  bundle?: AnalyticsJsBundle
}

// Settings and the per-key script are small and may change with the configuration; chunks never do.
const SHORT_CACHE = 'public, max-age=60'
const IMMUTABLE = 'public, max-age=31536000, immutable'
const JAVASCRIPT = 'application/javascript; charset=utf-8'

/**
 * analytics.js fully self-hosted, at the paths Segment's CDN uses, so the standard snippet works
 * with only its CDN host replaced by this service's URL:
 * - /analytics.js/v1/<writeKey>/analytics.min.js: the standalone build for that key;
 * - /analytics-next/bundles/<chunk>: the chunks it loads lazily;
 * - /v1/projects/<writeKey>/settings: the source settings, whose Segment.io integration sends
 *   events back here (apiHost, protocol).
 * GET only, so browsers never preflight them.
 */
export const analyticsJsRoutes: FastifyPluginAsync<AnalyticsJsOptions> = async (app, options) => {
  const bundle = options.bundle ?? loadAnalyticsJsBundle()
  const checker = writeKeyChecker(options.deps.writeKeys)
  // Any origin may read these. Not @fastify/cors: it would add an OPTIONS route for every path
  // outside a prefix (the admin API's included), and GETs without custom headers need no preflight.
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('access-control-allow-origin', '*')
  })

  const knownKey = (writeKey: string, what: string) => {
    // The key is the caller's own; it is still never repeated in an answer about a bad one.
    if (!checker.valid(writeKey))
      throw new HttpError(404, `no ${what} for this write key`, 'UNKNOWN_WRITE_KEY')
    return writeKey
  }

  app.get<{ Params: { writeKey: string } }>('/v1/projects/:writeKey/settings', async (request, reply) => {
    const writeKey = knownKey(request.params.writeKey, 'source settings')
    reply.header('cache-control', SHORT_CACHE)
    return segmentSettings(writeKey, publicOrigin(options.deps.publicUrl, request))
  })

  app.get<{ Params: { writeKey: string } }>(
    '/analytics.js/v1/:writeKey/analytics.min.js',
    async (request, reply) => {
      const writeKey = knownKey(request.params.writeKey, 'analytics.js')
      const cdn = originUrl(publicOrigin(options.deps.publicUrl, request))
      reply.header('cache-control', SHORT_CACHE).type(JAVASCRIPT)
      return bundle.script(writeKey, cdn)
    },
  )

  app.get<{ Params: { file: string } }>('/analytics-next/bundles/:file', async (request, reply) => {
    const chunk = bundle.chunk(request.params.file)
    if (chunk === null) {
      throw new HttpError(
        404,
        `analytics.js ${bundle.version} has no chunk ${JSON.stringify(request.params.file.slice(0, 100))}`,
        'NOT_FOUND',
      )
    }
    reply.header('cache-control', IMMUTABLE).type(JAVASCRIPT)
    return chunk
  })
}

/**
 * The source settings analytics.js reads at start: only the Segment.io integration (this service;
 * no device-mode destinations, no remote plugins or middleware to fetch from elsewhere) and remote
 * metrics off (they would go to Segment's API).
 */
export function segmentSettings(writeKey: string, origin: PublicOrigin) {
  return {
    integrations: {
      'Segment.io': {
        apiKey: writeKey,
        apiHost: `${origin.host}${origin.basePath}/v1`,
        protocol: origin.protocol,
        unbundledIntegrations: [],
        addBundledMetadata: true,
        maybeBundledConfigIds: {},
      },
    },
    plan: {},
    edgeFunction: {},
    analyticsNextEnabled: true,
    middlewareSettings: {},
    enabledMiddleware: {},
    metrics: { sampleRate: 0 },
    legacyVideoPluginsEnabled: false,
    remotePlugins: [],
  }
}
