import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

/**
 * analytics.js as Segment's CDN serves it, built from the @segment/analytics-next package: its
 * standalone build (what the snippet loads) and the chunks that build loads lazily.
 */
export interface AnalyticsJsBundle {
  version: string
  /** The standalone script for one write key, telling it where this service is. */
  script(writeKey: string, cdnUrl: string): string
  /** A lazily loaded chunk by file name, or null when the package has no such file. */
  chunk(name: string): Buffer | null
}

// The CDN writes the key into the build in place of this placeholder (embedded-write-key.ts).
const WRITE_KEY_PLACEHOLDER = '"__WRITE_KEY__"'
// Chunks are content-hashed file names such as ajs-destination.bundle.40628baed746e9904edc.js.
const CHUNK_NAME = /^[A-Za-z0-9_-]+\.bundle\.[0-9a-f]+\.js$/

export function loadAnalyticsJsBundle(): AnalyticsJsBundle {
  const require = createRequire(import.meta.url)
  const packageFile = require.resolve('@segment/analytics-next/package.json')
  const { version } = JSON.parse(readFileSync(packageFile, 'utf8')) as { version: string }
  const umd = join(dirname(packageFile), 'dist', 'umd')
  const standalone = readFileSync(join(umd, 'standalone.js'), 'utf8')
  const at = standalone.indexOf(WRITE_KEY_PLACEHOLDER)
  if (at === -1 || standalone.indexOf(WRITE_KEY_PLACEHOLDER, at + 1) !== -1) {
    throw new Error(
      `@segment/analytics-next ${version}: the standalone build no longer has exactly one write key placeholder`,
    )
  }
  const before = standalone.slice(0, at)
  const after = standalone.slice(at + WRITE_KEY_PLACEHOLDER.length)
  const chunks = new Map<string, Buffer>()
  for (const name of readdirSync(umd)) {
    if (CHUNK_NAME.test(name)) chunks.set(name, readFileSync(join(umd, name)))
  }
  return {
    version,
    script(writeKey, cdnUrl) {
      // analytics.js finds its CDN from an https script URL only; with any other it would fall back
      // to cdn.segment.com. `_cdn` on the snippet's global is its documented override, set unless
      // the page set one itself.
      const prelude =
        '(function(){try{var s=document.currentScript,k=(s&&s.getAttribute("data-global-segment-analytics-key"))||"analytics",a=window[k];' +
        `if(a&&!a._cdn)a._cdn=${JSON.stringify(cdnUrl)}}catch(e){}})();\n`
      return `${prelude}${before}${JSON.stringify(writeKey)}${after}`
    },
    chunk(name) {
      return chunks.get(name) ?? null
    },
  }
}
