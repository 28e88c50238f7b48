import type { ComponentChildren } from 'preact'

/** A column's heading; a column of figures (`num`) is aligned right. */
export type Column = string | { label: string; num: true }

export const num = (label: string): Column => ({ label, num: true })

/** A table that scrolls sideways on a narrow screen: its headings from `columns`, its rows the children. */
export function Table(props: { class?: string; columns: Column[]; children: ComponentChildren }) {
  return (
    <div class="table-scroll">
      <table class={props.class}>
        <thead>
          <tr>
            {props.columns.map((c) =>
              typeof c === 'string' ? (
                <th key={c} scope="col">
                  {c}
                </th>
              ) : (
                <th key={c.label} scope="col" class="num">
                  {c.label}
                </th>
              ),
            )}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  )
}
