// Builds dist/segment-function.js: the Perkville Destination Function as one file to paste into a
// Segment workspace. Segment runs such a file as a script and calls its top-level `onTrack`, … so
// the bundle is an IIFE held in one local, followed by top-level handlers that delegate to it.
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const entry = resolve(root, 'src/segment/function/entry.ts')
const outFile = resolve(root, process.argv[2] ?? 'dist/segment-function.js')
const HANDLERS = ['onTrack', 'onIdentify', 'onPage', 'onScreen', 'onGroup', 'onAlias']
const LOCAL = '__perkville'

// zod re-exports every translation of its messages (`z.locales`, ~380 kB) from one module; the rules
// write their own messages and zod's schemas import the English locale directly, so that module is
// replaced by an empty one here.
const dropZodLocales = {
  name: 'drop-zod-locales',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)
        ? { path: 'zod-locales', namespace: 'empty' }
        : undefined,
    )
    b.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({ contents: 'export {}', loader: 'js' }))
  },
}

const result = await build({
  entryPoints: [entry],
  bundle: true,
  write: false,
  format: 'iife',
  globalName: LOCAL,
  // Neutral: no Node built-ins and no browser shims; the bundle may use only the language and the
  // globals Segment provides. Packages are resolved as ESM.
  platform: 'neutral',
  mainFields: ['module', 'main'],
  conditions: ['import', 'default'],
  target: 'es2020',
  // Whitespace and syntax only: identifiers stay readable in the stack traces Segment's logs show.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'inline',
  charset: 'utf8',
  logLevel: 'warning',
  plugins: [dropZodLocales],
})

const pkg = JSON.parse(
  await import('node:fs').then((fs) => fs.readFileSync(resolve(root, 'package.json'), 'utf8')),
)
const bundle = result.outputFiles[0].text
const header = [
  `// Perkville Destination Function (${pkg.name} ${pkg.version}), built by scripts/build-function.mjs.`,
  '// Paste this whole file into a Segment Destination Function; see docs/segment.md for the settings.',
  '// Generated: edit src/segment/function/ and rebuild instead of editing this file.',
  '',
].join('\n')
const handlers = HANDLERS.map(
  (name) => `async function ${name}(event, settings) {\n  return ${LOCAL}.${name}(event, settings)\n}`,
).join('\n\n')
const text = `${header}${bundle}\n${handlers}\n`

if (/\brequire\s*\(|^\s*import\s|^\s*export\s/m.test(text)) {
  throw new Error('build-function: the bundle still contains require/import/export; Segment cannot run it')
}

await mkdir(dirname(outFile), { recursive: true })
await writeFile(outFile, text)
const kb = (Buffer.byteLength(text) / 1024).toFixed(1)
console.log(`build-function: wrote ${relative(process.cwd(), outFile) || outFile} (${kb} kB)`)
