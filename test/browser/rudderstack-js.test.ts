import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { WRITE_KEY } from '../server/fixture.js'
import {
  expectExactlyTheAwards,
  expectIdentifyAccepted,
  pageTemplate,
  serviceAndBrowser,
  visit,
} from './scenario.js'

// RudderStack's JavaScript SDK (@rudderstack/analytics-js, its UMD build with the plugins bundled,
// served by the test page's own loopback host) with this service as data plane and source config.
const fx = serviceAndBrowser()
const template = pageTemplate('rudderstack.html')
const require = createRequire(import.meta.url)
// The package exports its bundled build as cjs/ and esm/; the UMD one for script tags sits beside them.
const sdkFile = join(
  dirname(dirname(require.resolve('@rudderstack/analytics-js/bundled'))),
  'umd',
  'index.js',
)
const sdk = { '/rudderstack/analytics.js': { type: 'text/javascript', body: readFileSync(sdkFile) } }

describe('RudderStack JavaScript SDK with a local source config', { timeout: 60_000 }, () => {
  test('default (XHR) mode: /v1/<type> with the SDK’s headers, every award exactly once', async () => {
    const result = await visit(fx, template, { loadOptions: { configUrl: fx.svc.url }, files: sdk })
    expectExactlyTheAwards(result)
    expectIdentifyAccepted(result.watch, fx.svc.url)
    const paths = result.watch.requests.map((r) => new URL(r.url).pathname)
    expect(paths).toContain('/sourceConfig/')
    expect(paths).toContain('/v1/track')
    expect(paths).toContain('/v1/identify')
    // The SDK sends AnonymousId and SentAt headers, so each event was preflighted first: a 200 from
    // the service means the browser accepted the preflight's answer.
    const tracks = result.watch.responses.filter((r) => new URL(r.url).pathname === '/v1/track')
    expect(tracks.length).toBe(3)
    for (const r of tracks) expect(r.status).toBe(200)
  })

  test('beacon mode: /beacon/v1/batch?writeKey=…, every award exactly once', async () => {
    const result = await visit(fx, template, {
      loadOptions: {
        configUrl: fx.svc.url,
        useBeacon: true,
        beaconQueueOptions: { flushQueueInterval: 300 },
      },
      files: sdk,
    })
    expectExactlyTheAwards(result)
    const beacons = result.watch.requests.filter((r) => new URL(r.url).pathname === '/beacon/v1/batch')
    expect(beacons.length).toBeGreaterThan(0)
    for (const beacon of beacons) expect(new URL(beacon.url).searchParams.get('writeKey')).toBe(WRITE_KEY)
    const sent = result.watch.sentBodies.filter((b) => new URL(b.url).pathname === '/beacon/v1/batch')
    expect(sent.some((b) => /"type":"identify"/.test(b.body))).toBe(true)
    // A beacon's answer is never read by the page, but the service accepted each one.
    const answers = result.watch.responses.filter((r) => new URL(r.url).pathname === '/beacon/v1/batch')
    expect(answers.map((r) => r.status)).toEqual(beacons.map(() => 200))
    expect(result.watch.requests.map((r) => new URL(r.url).pathname)).not.toContain('/v1/track')
  })
})
