import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import { AXIS_DAY, AXIS_TIME } from './format'

export interface ChartSeries {
  label: string
  color: string
  values: Array<number | null>
}

/** A uPlot time chart; `times` in epoch seconds. Redrawn when the data change or the box resizes. */
export function Chart(props: {
  title: string
  times: number[]
  series: ChartSeries[]
  unit?: string
  /** Dots on each value: for sparse series, where a lone value has no line to show it. */
  points?: boolean
}) {
  const box = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const el = box.current
    if (!el) return
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: 200,
      series: [
        {},
        ...props.series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          fill: `${s.color}22`,
          points: { show: props.points ?? false, size: 6 },
          value: (_u: uPlot, v: number | null) => (v === null ? '–' : `${v}${props.unit ?? ''}`),
        })),
      ],
      // The page's locale and zone on the time axis too (uPlot's own labels are month/day first).
      axes: [
        {
          values: (_u: uPlot, ticks: number[], _space: number, _i: number, step: number) =>
            ticks.map((t) => (step >= 86_400 ? AXIS_DAY : AXIS_TIME).format(new Date(t * 1000))),
        },
        { size: 60 },
      ],
      legend: { live: true },
    }
    const plot = new uPlot(opts, [props.times, ...props.series.map((s) => s.values)], el)
    const observer = new ResizeObserver(() =>
      plot.setSize({ width: Math.max(200, el.clientWidth), height: 200 }),
    )
    observer.observe(el)
    return () => {
      observer.disconnect()
      plot.destroy()
    }
  }, [props.times, props.series, props.unit, props.points])
  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <div ref={box} role="img" aria-label={props.title} />
    </figure>
  )
}
