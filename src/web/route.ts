import { useEffect, useState } from 'preact/hooks'

/** The page's place: `#/events/42?q=x` → { parts: ['events','42'], params: {q:'x'} }. */
export interface Route {
  parts: string[]
  params: Record<string, string>
}

export function parseHash(hash: string): Route {
  const text = hash.replace(/^#\/?/, '')
  const [path = '', search = ''] = text.split('?', 2)
  return {
    parts: path.split('/').filter(Boolean).map(decodeURIComponent),
    params: Object.fromEntries(new URLSearchParams(search)),
  }
}

export function href(path: string, params: Record<string, string | number | undefined | null> = {}): string {
  const search = new URLSearchParams()
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') search.set(k, String(v))
  const text = search.toString()
  return `#/${path}${text ? `?${text}` : ''}`
}

export function go(path: string, params: Record<string, string | number | undefined | null> = {}): void {
  window.location.hash = href(path, params)
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash))
  useEffect(() => {
    const update = () => setRoute(parseHash(window.location.hash))
    window.addEventListener('hashchange', update)
    return () => window.removeEventListener('hashchange', update)
  }, [])
  return route
}
