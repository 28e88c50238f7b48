import { time } from './format'

/** A moment in the browser's locale and zone; hovering shows the exact ISO time. */
export function Time({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <>–</>
  return (
    <time dateTime={iso} title={iso}>
      {time(iso)}
    </time>
  )
}
