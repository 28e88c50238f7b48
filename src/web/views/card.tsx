/** `data-*` attributes, for tests and for links into a page. */
type DataAttributes = { [name: `data-${string}`]: string | undefined }

/** A figure a page leads with: its label over its value, and a hint under it when there is one. */
export function Card({
  label,
  value,
  hint,
  ...data
}: { label: string; value: string; hint?: string } & DataAttributes) {
  return (
    <div class="card" {...data}>
      <span class="card-label">{label}</span>
      <span class="card-value">{value}</span>
      {hint && <span class="hint">{hint}</span>}
    </div>
  )
}
