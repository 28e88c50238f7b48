/**
 * How much of Perkville's answers the destination keeps. Whatever it sends is outside our control: a
 * Perkville answering 503 with a 4 MB body once filled the store by 395 MB a minute (each attempt kept
 * the body twice) and made one event's detail 142 MB. So the read itself stops past a limit, and every
 * answer or error text is cut before it is stored or shown, with its full size noted.
 */

/** The most of one answer read off the socket; a list page is far smaller. Past it the read stops. */
export const MAX_ANSWER_READ_BYTES = 1024 * 1024

/** The most of one answer kept in a stored attempt (its JSON text, UTF-8). */
export const MAX_STORED_ANSWER_BYTES = 8 * 1024

/** The most of one error text kept anywhere it is stored, shown or logged. */
export const MAX_ERROR_CHARS = 500

/** An answer body as undici gives it: a stream of bytes that can be torn down. */
export interface ByteStream extends AsyncIterable<Uint8Array> {
  destroy(error?: Error): unknown
}

/**
 * The body as text, reading at most `limit` bytes: past it the stream is destroyed (the connection
 * goes, rather than reading megabytes only to drop them) and the text read so far is returned.
 */
export async function readBoundedText(body: ByteStream, limit = MAX_ANSWER_READ_BYTES): Promise<string> {
  const chunks: Uint8Array[] = []
  let bytes = 0
  for await (const chunk of body) {
    const room = limit - bytes
    if (chunk.byteLength > room) {
      chunks.push(chunk.subarray(0, room))
      bytes = limit
      body.destroy()
      break
    }
    chunks.push(chunk)
    bytes += chunk.byteLength
  }
  // A character cut in two at the limit decodes as U+FFFD, which is all it can be.
  return Buffer.concat(chunks, bytes).toString('utf8')
}

/** An error text of at most MAX_ERROR_CHARS characters; a longer one ends saying how long it was. */
export function boundErrorText(text: string): string
export function boundErrorText(text: string | null): string | null
export function boundErrorText(text: string | null): string | null {
  if (text === null || text.length <= MAX_ERROR_CHARS) return text
  const note = `… [cut: ${text.length} characters]`
  return wellFormed(text.slice(0, MAX_ERROR_CHARS - note.length)) + note
}

/**
 * A stored answer (the JSON text of `{status, headers, body}`, or of any value) of at most
 * MAX_STORED_ANSWER_BYTES: a longer one keeps its status and headers, and its body becomes
 * `{truncated: true, bytes, head}` — the body's full size in bytes (the larger of what was read and
 * the declared Content-Length, since the read stops at MAX_ANSWER_READ_BYTES) and its start.
 */
export function boundAnswerJson(json: string | null): string | null {
  if (json === null || Buffer.byteLength(json, 'utf8') <= MAX_STORED_ANSWER_BYTES) return json
  const answer = parseObject(json)
  const hasBody = answer !== null && 'body' in answer
  const bodyText = hasBody ? textOf(answer.body) : json
  const declared = hasBody ? Number(parseHeaders(answer.headers)['content-length']) : Number.NaN
  const bytes = Math.max(Buffer.byteLength(bodyText, 'utf8'), Number.isFinite(declared) ? declared : 0)
  const small = (value: unknown) =>
    Buffer.byteLength(JSON.stringify(value), 'utf8') <= MAX_STORED_ANSWER_BYTES / 4
  const frame: Record<string, unknown> = {}
  if (hasBody) {
    if (small(answer.status)) frame.status = answer.status
    if (small(answer.headers)) frame.headers = answer.headers
  }
  let head = bodyText.slice(0, MAX_STORED_ANSWER_BYTES)
  for (;;) {
    const text = JSON.stringify({ ...frame, body: { truncated: true, bytes, head: wellFormed(head) } })
    const size = Buffer.byteLength(text, 'utf8')
    if (size <= MAX_STORED_ANSWER_BYTES) return text
    // Escapes and multi-byte characters make the text longer than the head: shrink in proportion.
    head = head.slice(0, Math.max(0, Math.floor((head.length * MAX_STORED_ANSWER_BYTES) / size) - 16))
  }
}

function parseObject(json: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(json)
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null
  } catch {
    return null
  }
}

function parseHeaders(headers: unknown): Record<string, unknown> {
  return typeof headers === 'object' && headers !== null ? (headers as Record<string, unknown>) : {}
}

function textOf(body: unknown): string {
  return typeof body === 'string' ? body : (JSON.stringify(body) ?? String(body))
}

/** A lone surrogate left by a cut becomes U+FFFD (text that PostgreSQL and JSON readers accept). */
function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
}
