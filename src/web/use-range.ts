import { useEffect, useMemo, useState } from 'preact/hooks'
import { rangeOf } from './format'

/** The range `key` ending now, moved forward every `refreshMs` (a new path, so the data reload). */
export function useRange(key: string | undefined, refreshMs: number) {
  const [tick, setTick] = useState(0)
  useEffect(() => {
    const timer = setTimeout(() => setTick((t) => t + 1), refreshMs)
    return () => clearTimeout(timer)
  }, [tick, refreshMs])
  // A new tick moves the range forward to the time it fires.
  return useMemo(() => rangeOf(key), [key, tick])
}
