import { promisify } from 'node:util'
import { gunzip, inflate } from 'node:zlib'
import { parseJson } from '../core/json-syntax.js'
import { badRequest } from './http-error.js'
import { REQUEST_LIMIT_BYTES } from './limits.js'
import { describeInvalidUtf8, invalidUtf8Offset } from './utf8.js'

const gunzipAsync = promisify(gunzip)
const inflateAsync = promisify(inflate)

/**
 * Turns a raw request body into JSON (with the decoded bytes, for signatures and size checks): undoes Content-Encoding (gzip, deflate), enforces the request
 * size limit on the decoded bytes (a small compressed body must not expand past it), and parses.
 * Every failure is a 400 that says what was wrong, without quoting the body (it may hold a write key).
 */
export async function decodeJsonBody(
  raw: Buffer | undefined,
  contentEncoding: string | undefined,
  limitBytes: number = REQUEST_LIMIT_BYTES,
  limitName = '500 KB batch request limit',
): Promise<{ value: unknown; bytes: number; raw: Buffer }> {
  const bytes = await decode(raw ?? Buffer.alloc(0), contentEncoding, limitBytes, limitName)
  if (bytes.length > limitBytes) {
    throw badRequest(
      'REQUEST_TOO_LARGE',
      `request body is ${bytes.length} bytes, over the ${limitName} (${limitBytes} bytes)`,
    )
  }
  if (bytes.length === 0) throw badRequest('INVALID_JSON', 'invalid JSON: the request body is empty')
  const invalid = invalidUtf8Offset(bytes)
  if (invalid !== -1) {
    throw badRequest(
      'INVALID_ENCODING',
      `the request body is not valid UTF-8 at ${describeInvalidUtf8(bytes, invalid)}; nothing was accepted`,
    )
  }
  const parsed = parseJson(bytes.toString('utf8'))
  if (!parsed.ok) throw badRequest('INVALID_JSON', `invalid JSON at ${parsed.message}`)
  return { value: parsed.value, bytes: bytes.length, raw: bytes }
}

async function decode(
  raw: Buffer,
  encoding: string | undefined,
  limit: number,
  limitName: string,
): Promise<Buffer> {
  const name = (encoding ?? 'identity').trim().toLowerCase()
  if (name === 'identity' || name === '') return raw
  const inflater =
    name === 'gzip' || name === 'x-gzip' ? gunzipAsync : name === 'deflate' ? inflateAsync : null
  if (inflater === null) {
    throw badRequest(
      'UNSUPPORTED_ENCODING',
      `Content-Encoding ${JSON.stringify(name)} is not supported (use gzip, deflate or none)`,
    )
  }
  try {
    // One byte past the limit is enough to know the decoded body is too large.
    return await inflater(raw, { maxOutputLength: limit + 1 })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw badRequest(
        'REQUEST_TOO_LARGE',
        `decompressed request body is over the ${limitName} (${limit} bytes)`,
      )
    }
    throw badRequest('INVALID_ENCODING', `request body is not valid ${name} data (${(err as Error).message})`)
  }
}
