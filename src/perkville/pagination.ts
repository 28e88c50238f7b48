/**
 * Reads a whole Perkville list by following `meta.next`, over any transport. Shared by the client
 * and the settings check so both treat a broken list the same way.
 */
import { asObject, errorMessage, foreignOrigin, nextPageUrl } from './wire.js'

/** GETs a URL with the caller's auth; answers the status and the parsed JSON body (or text). */
export type JsonGet = (url: string) => Promise<{ status: number; body: unknown }>

/** A list longer than this many pages is treated as a broken API rather than followed forever. */
export const MAX_PAGES = 1000

export type ListFailure = 'transport' | 'status' | 'shape' | 'endless' | 'foreign'

export class ListReadError extends Error {
  constructor(
    message: string,
    readonly reason: ListFailure,
    readonly url: string,
    /** The HTTP status when Perkville answered. */
    readonly status: number | null,
  ) {
    super(message)
    this.name = 'ListReadError'
  }
}

export async function readAllPages(get: JsonGet, firstUrl: string): Promise<Record<string, unknown>[]> {
  const objects: Record<string, unknown>[] = []
  const seen = new Set<string>()
  let url: string | null = firstUrl
  while (url !== null) {
    if (seen.has(url) || seen.size >= MAX_PAGES) {
      throw new ListReadError('the list pagination does not end', 'endless', url, null)
    }
    seen.add(url)
    let page: { status: number; body: unknown }
    try {
      page = await get(url)
    } catch (err) {
      throw new ListReadError(err instanceof Error ? err.message : String(err), 'transport', url, null)
    }
    if (page.status < 200 || page.status >= 300) {
      throw new ListReadError(errorMessage(page.status, page.body), 'status', url, page.status)
    }
    const list = asObject(page.body)?.objects
    if (!Array.isArray(list)) {
      throw new ListReadError('the answer has no "objects" list', 'shape', url, page.status)
    }
    for (const o of list) {
      const obj = asObject(o)
      if (obj) objects.push(obj)
    }
    const next = nextPageUrl(page.body, url)
    const foreign = next === null ? null : foreignOrigin(next, firstUrl)
    if (foreign !== null) throw new ListReadError(`meta.next is ${foreign}`, 'foreign', url, page.status)
    url = next
  }
  return objects
}
