import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import { api } from './api'

export interface Data<T> {
  data: T | null
  error: string | null
  loading: boolean
  reload(): void
}

/** GETs `path` (null: nothing yet) and again every `refreshMs` when given; keeps the last answer meanwhile. */
export function useData<T>(path: string | null, refreshMs?: number): Data<T> {
  const [state, setState] = useState<{ data: T | null; error: string | null; loading: boolean }>({
    data: null,
    error: null,
    loading: path !== null,
  })
  const seq = useRef(0)
  const load = useCallback(() => {
    if (path === null) return
    const mine = ++seq.current
    setState((s) => ({ ...s, loading: true }))
    api<T>(path).then(
      (data) => mine === seq.current && setState({ data, error: null, loading: false }),
      (err: Error) => mine === seq.current && setState((s) => ({ ...s, error: err.message, loading: false })),
    )
  }, [path])
  useEffect(() => {
    // The previous answer stays on screen until the new one arrives (no flicker on refresh).
    load()
    if (!refreshMs || path === null) return
    const timer = setInterval(load, refreshMs)
    return () => clearInterval(timer)
  }, [load, refreshMs, path])
  return { ...state, reload: load }
}
