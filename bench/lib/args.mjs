import { parseArgs } from 'node:util'

/**
 * Parses `--name value` options into numbers/booleans as declared: `spec` maps a name to its default
 * (a number, a string or a boolean flag). Unknown options are an error that lists the known ones.
 */
export function options(spec, argv = process.argv.slice(2)) {
  const declared = {}
  for (const [name, def] of Object.entries(spec)) {
    declared[name] = { type: typeof def === 'boolean' ? 'boolean' : 'string' }
  }
  let values
  try {
    ;({ values } = parseArgs({ args: argv, options: declared, strict: true, allowPositionals: false }))
  } catch (err) {
    const known = Object.keys(spec)
      .map((k) => `--${k}`)
      .join(' ')
    process.stderr.write(`${err.message}\nknown options: ${known}\n`)
    process.exit(2)
  }
  const out = {}
  for (const [name, def] of Object.entries(spec)) {
    const raw = values[name]
    if (raw === undefined) out[name] = def
    else if (typeof def === 'number') {
      const n = Number(raw)
      if (!Number.isFinite(n) || n < 0) {
        process.stderr.write(`--${name} must be a non-negative number, got ${JSON.stringify(raw)}\n`)
        process.exit(2)
      }
      out[name] = n
    } else out[name] = raw
  }
  return out
}
