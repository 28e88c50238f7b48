// Generates each Actions definition's generated-types.ts from its fields, as Segment's
// action-destinations does: actions-core's fieldsToJsonSchema, then json-schema-to-typescript.
// `npm run generate:types` (scripts/generate-types.ts) writes the files; test/segment/generated-types.test.ts fails when they are stale.
import { readFile, writeFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { DestinationDefinition, InputField } from '@segment/actions-core'
import { compile, type JSONSchema } from 'json-schema-to-typescript'
import { fieldsToJsonSchema } from '../src/segment/actions/actions-core.js'
import destination from '../src/segment/actions/perkville/index.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const definitionDir = join(root, 'src/segment/actions/perkville')

const BANNER = '// Generated file. DO NOT MODIFY IT BY HAND.'

/** Only what shapes the type and its comments; titles, defaults and formats would only add noise. */
const KEEP = new Set([
  'type',
  'description',
  'properties',
  'required',
  'items',
  'tsType',
  'enum',
  'additionalProperties',
])

function prune(schema: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(schema)) {
    if (!KEEP.has(key) || value === undefined) continue
    if (key === 'properties' && typeof value === 'object' && value !== null) {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, sub]) => [name, prune(sub as Record<string, unknown>)]),
      )
    } else if (key === 'items' && typeof value === 'object' && value !== null) {
      out[key] = prune(value as Record<string, unknown>)
    } else {
      out[key] = value
    }
  }
  return out
}

async function typesFor(fields: Record<string, InputField>, name: string): Promise<string> {
  const schema = prune(fieldsToJsonSchema(fields, { tsType: true }) as Record<string, unknown>)
  return compile(schema as JSONSchema, name, {
    bannerComment: BANNER,
    style: { semi: false, singleQuote: true, printWidth: 110, trailingComma: 'all' },
  })
}

/** Every generated-types.ts of the destination (path → text): the settings, then one per action. */
export async function generatedTypeFiles(
  definition: DestinationDefinition<never> = destination as DestinationDefinition<never>,
): Promise<Map<string, string>> {
  const files = new Map<string, string>()
  const auth = definition.authentication
  const settingsFields = (auth && 'fields' in auth ? auth.fields : {}) as Record<string, InputField>
  files.set(join(definitionDir, 'generated-types.ts'), await typesFor(settingsFields, 'Settings'))
  for (const [slug, action] of Object.entries(definition.actions)) {
    files.set(join(definitionDir, slug, 'generated-types.ts'), await typesFor(action.fields, 'Payload'))
  }
  return files
}

export async function staleTypeFiles(): Promise<string[]> {
  const stale: string[] = []
  for (const [path, text] of await generatedTypeFiles()) {
    const current = await readFile(path, 'utf8').catch(() => null)
    if (current !== text) stale.push(relative(root, path))
  }
  return stale
}

/** Writes every generated-types.ts, saying which. */
export async function writeTypeFiles(): Promise<void> {
  for (const [path, text] of await generatedTypeFiles()) {
    await writeFile(path, text)
    console.log(`generate-types: wrote ${relative(root, path)}`)
  }
}
