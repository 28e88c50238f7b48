/** The page's only way to the service: same origin, the session cookie, the CSRF token on changes. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null,
    readonly body: unknown,
  ) {
    super(message)
  }
}

let csrfToken: string | null = null
const signedOutListeners = new Set<() => void>()

export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener)
  return () => signedOutListeners.delete(listener)
}

/** Whether a session is open (and its CSRF token known). */
export async function loadSession(): Promise<boolean> {
  const res = await fetch('/console/session', { credentials: 'same-origin' })
  const answer = res.status === 200 ? ((await res.json()) as { signedIn?: boolean; csrfToken?: string }) : {}
  csrfToken = answer.signedIn === true && typeof answer.csrfToken === 'string' ? answer.csrfToken : null
  return csrfToken !== null
}

export async function signIn(token: string): Promise<void> {
  const res = await fetch('/console/session', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  })
  if (res.status !== 204) throw await errorOf(res)
  await loadSession()
}

export async function signOut(): Promise<void> {
  await fetch('/console/session', { method: 'DELETE', credentials: 'same-origin' })
  csrfToken = null
  for (const listener of signedOutListeners) listener()
}

async function errorOf(res: Response): Promise<ApiError> {
  let body: unknown = null
  try {
    body = await res.json()
  } catch {
    // not JSON: the status says enough
  }
  // The service answers {success:false, error:"...", code}; {error:{code,message}} is read too.
  const b = (typeof body === 'object' && body !== null ? body : {}) as { error?: unknown; code?: unknown }
  const nested = (typeof b.error === 'object' && b.error !== null ? b.error : {}) as {
    message?: unknown
    code?: unknown
  }
  const message =
    typeof b.error === 'string'
      ? b.error
      : typeof nested.message === 'string'
        ? nested.message
        : `${res.status} ${res.statusText}`
  const code = typeof b.code === 'string' ? b.code : typeof nested.code === 'string' ? nested.code : null
  return new ApiError(res.status, message, code, body)
}

/** JSON from /admin (or /healthz, /readyz); throws ApiError with the service's message. */
export async function api<T>(path: string, options: { method?: string; body?: unknown } = {}): Promise<T> {
  const method = options.method ?? 'GET'
  const headers: Record<string, string> = {}
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  })
  if (res.status === 401 && path.startsWith('/admin')) {
    csrfToken = null
    for (const listener of signedOutListeners) listener()
  }
  if (!res.ok && !(res.status === 503 && path === '/readyz')) throw await errorOf(res)
  if (res.status === 204) return undefined as T
  return (await res.json()) as T
}

/** `?a=1&b=2` from the defined, non-empty values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params))
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value))
  const text = search.toString()
  return text ? `?${text}` : ''
}
