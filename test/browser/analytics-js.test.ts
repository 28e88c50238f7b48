import { describe, expect, test } from 'vitest'
import { WRITE_KEY } from '../server/fixture.js'
import {
  expectExactlyTheAwards,
  expectIdentifyAccepted,
  pageTemplate,
  serviceAndBrowser,
  visit,
} from './scenario.js'

// analytics.js (@segment/analytics-next's standalone build, served by the service) loaded by
// Segment's standard snippet with only the CDN host replaced, in the system Chromium.
const fx = serviceAndBrowser()
const template = pageTemplate('analytics-js.html')

describe('analytics.js by the standard snippet', () => {
  test('standard delivery: one request per event, every award exactly once', async () => {
    const result = await visit(fx.browser, fx.svc, template, {})
    expectExactlyTheAwards(result)
    expectIdentifyAccepted(result.watch, fx.svc.url)
    const paths = result.watch.requests.map((r) => new URL(r.url).pathname)
    expect(paths).toContain(`/analytics.js/v1/${WRITE_KEY}/analytics.min.js`)
    expect(paths).toContain(`/v1/projects/${WRITE_KEY}/settings`)
    expect(paths).toContain('/v1/t')
    expect(paths).toContain('/v1/i')
  })

  test('batching delivery strategy: events go to /v1/b, every award exactly once', async () => {
    const result = await visit(fx.browser, fx.svc, template, {
      integrations: {
        'Segment.io': { deliveryStrategy: { strategy: 'batching', config: { size: 3, timeout: 300 } } },
      },
    })
    expectExactlyTheAwards(result)
    expectIdentifyAccepted(result.watch, fx.svc.url)
    const paths = result.watch.requests.map((r) => new URL(r.url).pathname)
    expect(paths).toContain('/v1/b')
    expect(paths).not.toContain('/v1/t')
  })
})
