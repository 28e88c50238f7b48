import { RANGES } from '../format'

export function RangeSelect({ value, onChange }: { value: string; onChange(key: string): void }) {
  return (
    <label class="inline">
      Range{' '}
      <select value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
        {RANGES.map((r) => (
          <option key={r.key} value={r.key}>
            {r.label}
          </option>
        ))}
      </select>
    </label>
  )
}
