import { readFileSync } from 'node:fs'
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

describe('analytics.js by the standard snippet', { timeout: 60_000 }, () => {
  test('standard delivery: one request per event, every award exactly once', async () => {
    const result = await visit(fx, template)
    expectExactlyTheAwards(result)
    expectIdentifyAccepted(result.watch, fx.svc.url)
    const paths = result.watch.requests.map((r) => new URL(r.url).pathname)
    expect(paths).toContain(`/analytics.js/v1/${WRITE_KEY}/analytics.min.js`)
    expect(paths).toContain(`/v1/projects/${WRITE_KEY}/settings`)
    expect(paths).toContain('/v1/t')
    expect(paths).toContain('/v1/i')
  })

  test('batching delivery strategy: events go to /v1/b, every award exactly once', async () => {
    const result = await visit(fx, template, {
      loadOptions: {
        integrations: {
          'Segment.io': { deliveryStrategy: { strategy: 'batching', config: { size: 3, timeout: 300 } } },
        },
      },
    })
    expectExactlyTheAwards(result)
    expectIdentifyAccepted(result.watch, fx.svc.url)
    const paths = result.watch.requests.map((r) => new URL(r.url).pathname)
    expect(paths).toContain('/v1/b')
    expect(paths).not.toContain('/v1/t')
  })

  test('the README’s snippet, pasted as it is (its host is the service’s): the award lands once', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
    const section = readme.slice(readme.indexOf('## Browser and server libraries'))
    const block = /```html\n([\s\S]*?)```/.exec(section)?.[1]
    expect(block).toBeDefined()
    const page = `<!doctype html><html><head><meta charset="utf-8"></head><body>${block}</body></html>`
      .replaceAll('http://127.0.0.1:8080', '{{SERVICE_URL}}')
      .replaceAll('YOUR_WRITE_KEY', '{{WRITE_KEY}}')
      .replaceAll('jane@example.com', '{{EMAIL}}')
    const result = await visit(fx, page, { awards: 1 })
    expect(result.watch.outside()).toEqual([])
    expect(result.watch.errors).toEqual([])
    expect(result.awards.map((tx) => [tx.perk, tx.quantity])).toEqual([[3001, 1]])
    expectIdentifyAccepted(result.watch, fx.svc.url)
  })
})
