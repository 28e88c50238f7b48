// Builds the operator console into dist/web: index.html, console.js (Preact + uPlot and the views,
// one minified file) and console.css. Everything is served by the service itself (no CDN).
import { copyFile, mkdir } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const outDir = resolve(root, 'dist/web')
await mkdir(outDir, { recursive: true })
await build({
  entryPoints: { console: resolve(root, 'src/web/main.tsx') },
  outdir: outDir,
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
})
await copyFile(resolve(root, 'src/web/index.html'), resolve(outDir, 'index.html'))
